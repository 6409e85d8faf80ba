package firewallapi_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func verdict(t *testing.T, fw *firewall.Firewall, frame []byte) firewall.Verdict {
	t.Helper()
	v, err := fw.TestRun(frame)
	require.NoError(t, err)
	return v
}

func TestBlockUnblockBlocked(t *testing.T) {
	fw := load(t, firewall.Options{})
	frame := ipv4Frame(t, "198.51.100.9", -1)
	require.Equal(t, firewall.XDPPass, verdict(t, fw, frame))

	require.NoError(t, fw.Block(netip.MustParsePrefix("198.51.100.9/32")))
	require.NoError(t, fw.Block(netip.MustParsePrefix("2001:db8::/32")))
	require.NoError(t, fw.Block(netip.MustParsePrefix("192.0.2.0/24")))
	require.NoError(t, fw.Block(netip.MustParsePrefix("192.0.2.0/25")))
	got, err := fw.Blocked()
	require.NoError(t, err)
	assert.Equal(t, prefixes("192.0.2.0/24", "192.0.2.0/25", "198.51.100.9/32", "2001:db8::/32"), got, "sorted")
	assert.Equal(t, firewall.XDPDrop, verdict(t, fw, frame))

	require.NoError(t, fw.Unblock(netip.MustParsePrefix("198.51.100.9/32")))
	assert.Equal(t, firewall.XDPPass, verdict(t, fw, frame))
	assert.ErrorContains(t, fw.Unblock(netip.MustParsePrefix("198.51.100.9/32")), "not blocked")
}

func TestRejectsNonCanonicalPrefix(t *testing.T) {
	fw := load(t, firewall.Options{})
	bad := netip.MustParsePrefix("192.0.2.1/24")
	err := fw.Block(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "192.0.2.1/24")
	assert.Contains(t, err.Error(), "192.0.2.0/24")
	assert.Error(t, fw.Block(netip.Prefix{}))
	assert.Error(t, fw.Block(netip.MustParsePrefix("::ffff:192.0.2.0/120")))

	// A bad entry anywhere leaves the live set untouched.
	require.NoError(t, fw.Block(netip.MustParsePrefix("198.51.100.0/24")))
	require.Error(t, fw.Replace(append(prefixes("192.0.2.0/24"), bad)))
	got, err := fw.Blocked()
	require.NoError(t, err)
	assert.Equal(t, prefixes("198.51.100.0/24"), got)
}

func TestReplaceSwapsWholeSet(t *testing.T) {
	fw := load(t, firewall.Options{})
	require.NoError(t, fw.Block(netip.MustParsePrefix("198.51.100.0/24")))
	require.NoError(t, fw.Replace(prefixes("192.0.2.64/26", "2001:db8:1::/48")))

	got, err := fw.Blocked()
	require.NoError(t, err)
	assert.ElementsMatch(t, prefixes("192.0.2.64/26", "2001:db8:1::/48"), got)
	assert.Equal(t, firewall.XDPPass, verdict(t, fw, ipv4Frame(t, "198.51.100.1", -1)))
	assert.Equal(t, firewall.XDPDrop, verdict(t, fw, ipv4Frame(t, "192.0.2.65", -1)))
	assert.Equal(t, firewall.XDPDrop, verdict(t, fw, ipv6Frame(t, "2001:db8:1::9", -1)))

	// Block after Replace edits the new live set.
	require.NoError(t, fw.Block(netip.MustParsePrefix("198.51.100.1/32")))
	assert.Equal(t, firewall.XDPDrop, verdict(t, fw, ipv4Frame(t, "198.51.100.1", -1)))

	require.NoError(t, fw.Replace(nil))
	got, err = fw.Blocked()
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, firewall.XDPPass, verdict(t, fw, ipv4Frame(t, "192.0.2.65", -1)))
}

// A second Load with the same PinDir must drive the live set of the first
// (seed bug F5: a fresh, unpinned map never reaches the running firewall).
func TestPinnedSetIsShared(t *testing.T) {
	testenv.Setup(t)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-fw-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })

	running := load(t, firewall.Options{PinDir: dir})
	for _, name := range []string{"blocklist_v4", "blocklist_v6", "hosts_v4", "hosts_v6", "active", "stats"} {
		assert.FileExists(t, filepath.Join(dir, name))
	}
	frame := ipv4Frame(t, "198.51.100.50", -1)
	require.Equal(t, firewall.XDPPass, verdict(t, running, frame))

	policy := load(t, firewall.Options{PinDir: dir})
	require.NoError(t, policy.Block(netip.MustParsePrefix("198.51.100.50/32")))
	assert.Equal(t, firewall.XDPDrop, verdict(t, running, frame), "block by second loader did not reach the running firewall")

	require.NoError(t, policy.Replace(prefixes("192.0.2.0/24")))
	assert.Equal(t, firewall.XDPPass, verdict(t, running, frame))
	assert.Equal(t, firewall.XDPDrop, verdict(t, running, ipv4Frame(t, "192.0.2.3", -1)))

	s1, err := running.Stats()
	require.NoError(t, err)
	s2, err := policy.Stats()
	require.NoError(t, err)
	assert.Equal(t, s1, s2, "stats map is shared through the pin")
	assert.Equal(t, uint64(4), s1.Passed+s1.Dropped)

	require.NoError(t, policy.Unpin())
	assert.NoFileExists(t, filepath.Join(dir, "blocklist_v4"))
}

func TestLoadRejectsMissingPinDir(t *testing.T) {
	testenv.Setup(t)
	_, err := firewall.Load(firewall.Options{PinDir: "/sys/fs/bpf/bpflab-does-not-exist"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bpflab-does-not-exist")
}

func TestTestRunRejectsShortFrame(t *testing.T) {
	fw := load(t, firewall.Options{})
	_, err := fw.TestRun([]byte{1, 2, 3})
	assert.ErrorContains(t, err, "3 bytes")
}

func TestLoadRejectsForeignPins(t *testing.T) {
	testenv.Setup(t)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-fw-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	// A "stats" map of the wrong shape, as an older version might leave.
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	require.NoError(t, err)
	defer m.Close()
	require.NoError(t, m.Pin(filepath.Join(dir, "stats")))

	_, err = firewall.Load(firewall.Options{PinDir: dir})
	require.Error(t, err)
	assert.ErrorIs(t, err, ebpf.ErrMapIncompatible)
	assert.Contains(t, err.Error(), dir)
}
