package policy_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
)

// verdictOf runs one frame from src through the firewall (BPF_PROG_TEST_RUN:
// no traffic leaves the test).
func verdictOf(t *testing.T, fw *firewall.Firewall, b *packet.Builder, src netip.Addr) firewall.Verdict {
	t.Helper()
	var f packet.Frame
	var err error
	if src.Is4() {
		f, err = b.UDP4("from "+src.String(), src, dst4)
	} else {
		f, err = b.UDP6("from "+src.String(), src, netip.MustParseAddr("2001:db8::1"))
	}
	require.NoError(t, err)
	v, err := fw.TestRun(f.Bytes)
	require.NoError(t, err)
	return v
}

// v6Hosts returns n /128 entries 2001:db8:5::1, 2001:db8:5::2, ...
func v6Hosts(n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	a := netip.MustParseAddr("2001:db8:5::1")
	for i := range out {
		out[i] = netip.PrefixFrom(a, 128)
		a = a.Next()
	}
	return out
}

// TestHostsBeforeTrie: single hosts (kept in a hash map) and prefixes (in
// the trie) block independently: unblocking a host inside a blocked prefix
// leaves it blocked, and the drop counter moves once per dropped frame.
func TestHostsBeforeTrie(t *testing.T) {
	testenv.Setup(t)
	fw, err := firewall.Load(firewall.Options{PinDir: pinDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	b, err := packet.NewBuilder(net.HardwareAddr{0x02, 0, 0, 0, 0, 2})
	require.NoError(t, err)

	host4, host6 := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("2001:db8:bad::7")
	edge4 := netip.MustParseAddr("198.51.100.127") // last of the /25
	out4 := netip.MustParseAddr("198.51.100.128")  // first after it
	require.NoError(t, fw.Replace([]netip.Prefix{
		netip.PrefixFrom(host4, 32), netip.MustParsePrefix("198.51.100.0/25"),
		netip.PrefixFrom(host6, 128), netip.MustParsePrefix("2001:db8:bad::/64"),
		netip.MustParsePrefix("192.0.2.77/32"),
	}))
	before, err := fw.Stats()
	require.NoError(t, err)
	cases := []struct {
		src  netip.Addr
		want firewall.Verdict
	}{
		{host4, firewall.XDPDrop}, {edge4, firewall.XDPDrop}, {out4, firewall.XDPPass},
		{netip.MustParseAddr("192.0.2.77"), firewall.XDPDrop}, {netip.MustParseAddr("192.0.2.76"), firewall.XDPPass},
		{host6, firewall.XDPDrop}, {netip.MustParseAddr("2001:db8:bad:0:ffff:ffff:ffff:ffff"), firewall.XDPDrop},
		{netip.MustParseAddr("2001:db8:bad:1::7"), firewall.XDPPass},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, verdictOf(t, fw, b, c.src), "frame from %s", c.src)
	}
	after, err := fw.Stats()
	require.NoError(t, err)
	assert.Equal(t, uint64(5), after.Dropped-before.Dropped)
	assert.Equal(t, uint64(3), after.Passed-before.Passed)
	assert.Equal(t, uint64(5), after.IPv4-before.IPv4)
	assert.Equal(t, uint64(3), after.IPv6-before.IPv6)
	assert.Zero(t, after.NoList-before.NoList, "no frame found an empty slot")

	require.NoError(t, fw.UnblockAll([]netip.Prefix{netip.PrefixFrom(host4, 32), netip.PrefixFrom(host6, 128)}))
	assert.Equal(t, firewall.XDPDrop, verdictOf(t, fw, b, host4), "still inside the blocked /25")
	assert.Equal(t, firewall.XDPDrop, verdictOf(t, fw, b, host6), "still inside the blocked /64")
	require.NoError(t, fw.Unblock(netip.MustParsePrefix("198.51.100.0/25")))
	assert.Equal(t, firewall.XDPPass, verdictOf(t, fw, b, host4))
	got, err := fw.Blocked()
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("192.0.2.77/32"), netip.MustParsePrefix("2001:db8:bad::/64")}, got)
}

// TestHostMapGrows: the host maps are preallocated and sized to the set a
// Replace loaded; blocking more hosts than fit swaps in a bigger copy
// (inner maps of another size need kernel >= 5.10), losing none, in
// BlockAll and in Block, and again after a failed edit.
func TestHostMapGrows(t *testing.T) {
	testenv.Setup(t)
	fw, err := firewall.Load(firewall.Options{PinDir: pinDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	b, err := packet.NewBuilder(net.HardwareAddr{0x02, 0, 0, 0, 0, 2})
	require.NoError(t, err)

	const loaded, added = 4100, 3000 // room for 5125 after the load
	all := v6Hosts(loaded + added + 1)
	require.NoError(t, fw.Replace(all[:loaded]))
	require.NoError(t, fw.BlockAll(all[loaded:loaded+added]), "blocks past the loaded set's capacity")
	last := all[loaded+added]
	require.NoError(t, fw.Block(last))
	_, v6, err := fw.Entries()
	require.NoError(t, err)
	assert.Equal(t, loaded+added+1, v6)
	for _, i := range []int{0, loaded - 1, loaded, loaded + added} {
		assert.Equal(t, firewall.XDPDrop, verdictOf(t, fw, b, all[i].Addr()), "host %d (%s)", i, all[i])
	}
	assert.Equal(t, firewall.XDPPass, verdictOf(t, fw, b, last.Addr().Next()), "the next address is not blocked")

	// A failed all-or-nothing edit puts back what it removed; a second
	// growth keeps that too.
	more := v6Hosts(loaded + added + 1 + 9000)[loaded+added+1:]
	missing := netip.MustParsePrefix("2001:db8:6::1/128")
	err = fw.UnblockAll(append([]netip.Prefix{all[0]}, missing))
	require.ErrorContains(t, err, "prefix is not blocked")
	require.NoError(t, fw.BlockAll(more))
	_, v6, err = fw.Entries()
	require.NoError(t, err)
	assert.Equal(t, loaded+added+1+len(more), v6)
	assert.Equal(t, firewall.XDPDrop, verdictOf(t, fw, b, all[0].Addr()), "the failed unblock put host 0 back")

	require.NoError(t, fw.Replace(nil))
	v4, v6, err := fw.Entries()
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, 0}, [2]int{v4, v6})
	assert.Equal(t, firewall.XDPPass, verdictOf(t, fw, b, all[0].Addr()))
}
