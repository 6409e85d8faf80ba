package xdp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink/nl"
)

// settleTimeout bounds every wait; generous because the same binary runs
// under TCG emulation in the matrix.
const settleTimeout = 10 * time.Second

var modes = []firewall.Mode{firewall.ModeNative, firewall.ModeGeneric}

// lab is one topology with a firewall attached to dut0 and a capture.
type lab struct {
	topo *netlab.Topology
	fw   *firewall.Firewall
	cap  *netlab.Capture
	b    *packet.Builder
}

func newLab(t *testing.T, mode firewall.Mode, opts firewall.Options) *lab {
	t.Helper()
	testenv.Setup(t)
	topo := netlab.New(t)
	fw, err := firewall.Load(opts)
	require.NoError(t, err, "load firewall")
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	require.NoError(t, topo.DUT.Do(func() error { return fw.Attach(topo.DUTIndex, mode) }))
	requireAttachMode(t, topo, fw, mode)
	c, err := topo.Capture()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	b, err := packet.NewBuilder(netlab.SinkMAC)
	require.NoError(t, err)
	return &lab{topo: topo, fw: fw, cap: c, b: b}
}

// requireAttachMode checks through netlink that the kernel reports the
// firewall's program on dut0 in the requested mode.
func requireAttachMode(t *testing.T, topo *netlab.Topology, fw *firewall.Firewall, mode firewall.Mode) {
	t.Helper()
	want := map[firewall.Mode]uint32{firewall.ModeNative: nl.XDP_ATTACHED_DRV, firewall.ModeGeneric: nl.XDP_ATTACHED_SKB}[mode]
	st, err := topo.DUTXDP()
	require.NoError(t, err)
	info, err := fw.Program().Info()
	require.NoError(t, err)
	progID, ok := info.ID()
	require.True(t, ok, "kernel reports program IDs")
	require.True(t, st.Attached, "an XDP program is attached to dut0")
	assert.EqualValues(t, progID, st.ProgID, "dut0 runs the firewall program")
	if want != 0 {
		assert.EqualValues(t, want, st.Mode, "attach mode reported by netlink for %s", mode)
	}
}

// allowed4 is never blocked in these scenarios; fences come from it.
var allowed4 = netip.MustParseAddr("192.0.2.10")

func (l *lab) fence(t *testing.T) packet.Frame {
	t.Helper()
	f, err := l.b.UDP4("fence", allowed4, dst4)
	require.NoError(t, err)
	return f
}

// deliver injects frames and settles with a fence (one allowed IPv4 frame).
func (l *lab) deliver(t *testing.T, frames []packet.Frame) {
	t.Helper()
	raw := make([][]byte, len(frames))
	for i, f := range frames {
		raw[i] = f.Bytes
	}
	require.NoError(t, l.topo.Inject(raw...))
	require.NoError(t, l.topo.Settle(l.cap, l.fence(t), settleTimeout))
}

func (l *lab) stats(t *testing.T) firewall.Stats {
	t.Helper()
	s, err := l.fw.Stats()
	require.NoError(t, err)
	return s
}

func sub(a, b firewall.Stats) firewall.Stats {
	return firewall.Stats{Passed: a.Passed - b.Passed, Dropped: a.Dropped - b.Dropped,
		Malformed: a.Malformed - b.Malformed, NonIP: a.NonIP - b.NonIP, VLAN: a.VLAN - b.VLAN,
		IPv4: a.IPv4 - b.IPv4, IPv6: a.IPv6 - b.IPv6, NoList: a.NoList - b.NoList}
}

func add(a, b firewall.Stats) firewall.Stats {
	return firewall.Stats{Passed: a.Passed + b.Passed, Dropped: a.Dropped + b.Dropped,
		Malformed: a.Malformed + b.Malformed, NonIP: a.NonIP + b.NonIP, VLAN: a.VLAN + b.VLAN,
		IPv4: a.IPv4 + b.IPv4, IPv6: a.IPv6 + b.IPv6, NoList: a.NoList + b.NoList}
}

func times(a firewall.Stats, n uint64) firewall.Stats {
	return firewall.Stats{Passed: a.Passed * n, Dropped: a.Dropped * n, Malformed: a.Malformed * n,
		NonIP: a.NonIP * n, VLAN: a.VLAN * n, IPv4: a.IPv4 * n, IPv6: a.IPv6 * n, NoList: a.NoList * n}
}
