package firewallapi_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
)

func bpffsDir(t *testing.T) string {
	t.Helper()
	testenv.Setup(t)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-live-")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, os.RemoveAll(dir)) })
	return dir
}

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// TestLivePinFollowsReplace: a handle opened from the pins and the loader
// see each other's edits across Replace, because both reach the live trie
// through its pin (no map-ID lookup, which needs CAP_SYS_ADMIN).
func TestLivePinFollowsReplace(t *testing.T) {
	dir := bpffsDir(t)
	loader := load(t, firewall.Options{PinDir: dir})
	other, err := firewall.Open(firewall.Options{PinDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, other.Close()) })

	require.NoError(t, loader.Block(netip.MustParsePrefix("198.51.100.1/32")))
	require.NoError(t, other.Replace(mustPrefixes("192.0.2.0/25", "2001:db8:bad::/48")))
	got, err := loader.Blocked()
	require.NoError(t, err)
	assert.Equal(t, mustPrefixes("192.0.2.0/25", "2001:db8:bad::/48"), got, "the loader sees the set the other handle swapped in")

	require.NoError(t, loader.Block(netip.MustParsePrefix("198.51.100.7/32")))
	got, err = other.Blocked()
	require.NoError(t, err)
	assert.Contains(t, got, netip.MustParsePrefix("198.51.100.7/32"), "a block after the swap lands in the new live trie")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assert.Zero(t, fi.Mode().Perm()&0o077, "pin %s is mode %v", e.Name(), fi.Mode().Perm())
	}
	assert.ElementsMatch(t, []string{"blocklist_v4", "blocklist_v4_live", "blocklist_v6", "blocklist_v6_live",
		"hosts_v4", "hosts_v4_live", "hosts_v6", "hosts_v6_live", "active", "stats"}, names,
		"no temporary pins are left behind")
}

// TestUnpinnedReplaceKeepsFDs: without a pin dir the process keeps the fds
// of the tries it made, also across Replace.
func TestUnpinnedReplaceKeepsFDs(t *testing.T) {
	fw := load(t, firewall.Options{})
	require.NoError(t, fw.Replace(mustPrefixes("192.0.2.0/24")))
	require.NoError(t, fw.Block(netip.MustParsePrefix("2001:db8::66/128")))
	got, err := fw.Blocked()
	require.NoError(t, err)
	assert.Equal(t, mustPrefixes("192.0.2.0/24", "2001:db8::66/128"), got)
	v4, v6, err := fw.Entries()
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 1}, [2]int{v4, v6})
}

// TestWriterLockBusy: while another process holds the pin dir's writer
// lock, writers fail with ErrBusy after their timeout and change nothing.
func TestWriterLockBusy(t *testing.T) {
	dir := bpffsDir(t)
	fw := load(t, firewall.Options{PinDir: dir, LockTimeout: 50 * time.Millisecond})
	require.NoError(t, fw.Block(netip.MustParsePrefix("198.51.100.1/32")))
	f, err := os.Open(dir)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_EX))

	start := time.Now()
	assert.ErrorIs(t, fw.Block(netip.MustParsePrefix("198.51.100.2/32")), firewall.ErrBusy)
	assert.ErrorIs(t, fw.Replace(nil), firewall.ErrBusy)
	assert.ErrorIs(t, fw.UnblockAll(mustPrefixes("198.51.100.1/32")), firewall.ErrBusy)
	assert.Less(t, time.Since(start), 5*time.Second, "each writer gave up after its 50ms timeout")
	got, err := fw.Blocked()
	require.NoError(t, err, "readers do not take the lock")
	assert.Equal(t, mustPrefixes("198.51.100.1/32"), got)
}

// TestEditAllIsAllOrNothing: UnblockAll with one prefix that is not blocked
// restores the ones it already removed.
func TestEditAllIsAllOrNothing(t *testing.T) {
	fw := load(t, firewall.Options{})
	require.NoError(t, fw.BlockAll(mustPrefixes("198.51.100.1/32", "2001:db8::1/128")))
	require.NoError(t, fw.BlockAll(mustPrefixes("198.51.100.1/32")), "blocking twice is fine")
	err := fw.UnblockAll(mustPrefixes("198.51.100.1/32", "2001:db8::1/128", "198.51.100.9/32"))
	require.ErrorContains(t, err, "198.51.100.9/32: prefix is not blocked")
	got, err := fw.Blocked()
	require.NoError(t, err)
	assert.Equal(t, mustPrefixes("198.51.100.1/32", "2001:db8::1/128"), got, "nothing changed")
	require.ErrorContains(t, fw.BlockAll(mustPrefixes("198.51.100.3/32", "192.0.2.1/24")), "did you mean 192.0.2.0/24")
}

func TestOpenNothingPinned(t *testing.T) {
	dir := bpffsDir(t)
	_, err := firewall.Open(firewall.Options{PinDir: dir})
	assert.ErrorIs(t, err, firewall.ErrNotPinned)
}

// TestOpenOlderPins: a pin dir from a firewall without host maps (only the
// tries and stats) is named as a different version, not as "nothing
// pinned".
func TestOpenOlderPins(t *testing.T) {
	dir := bpffsDir(t)
	fw := load(t, firewall.Options{PinDir: dir})
	require.NoError(t, fw.Block(netip.MustParsePrefix("198.51.100.1/32")))
	require.NoError(t, os.Remove(filepath.Join(dir, "hosts_v4")))
	_, err := firewall.Open(firewall.Options{PinDir: dir})
	require.Error(t, err)
	assert.NotErrorIs(t, err, firewall.ErrNotPinned)
	assert.ErrorContains(t, err, "different firewall version (no hosts_v4)")
}
