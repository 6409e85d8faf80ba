package netlab_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const wait = 5 * time.Second

var (
	src4 = netip.MustParseAddr("198.51.100.7")
	dst4 = netip.MustParseAddr("192.0.2.1")
	src6 = netip.MustParseAddr("2001:db8::7")
	dst6 = netip.MustParseAddr("2001:db8::1")
)

func setup(t *testing.T) (*netlab.Topology, *netlab.Capture, *packet.Builder) {
	t.Helper()
	testenv.Setup(t)
	topo := netlab.New(t)
	c, err := topo.Capture()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	b, err := packet.NewBuilder(topo.DUTMAC)
	require.NoError(t, err)
	return topo, c, b
}

func TestTopology(t *testing.T) {
	topo, _, _ := setup(t)
	require.Positive(t, topo.DUTIndex)
	require.Len(t, topo.DUTMAC, 6)
	require.Len(t, topo.PeerMAC, 6)

	// dut0 lives in the DUT namespace only, with its addresses.
	_, err := net.InterfaceByName(netlab.DUTLink)
	assert.Error(t, err, "dut0 must not exist in the test's own namespace")
	err = topo.DUT.Do(func() error {
		l, err := netlink.LinkByName(netlab.DUTLink)
		if err != nil {
			return err
		}
		assert.Equal(t, topo.DUTIndex, l.Attrs().Index)
		assert.Equal(t, "veth", l.Type())
		assert.NotZero(t, l.Attrs().Flags&net.FlagUp, "dut0 is up")
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return err
		}
		var got []string
		for _, a := range addrs {
			got = append(got, a.IPNet.String())
		}
		assert.ElementsMatch(t, []string{netlab.DUTAddr4.String(), netlab.DUTAddr6.String()}, got)
		return nil
	})
	require.NoError(t, err)
	err = topo.Peer.Do(func() error {
		_, err := netlink.LinkByName(netlab.PeerLink)
		return err
	})
	require.NoError(t, err, "peer0 is in the peer namespace")
}

// Every injected frame arrives exactly once, including the odd ones.
func TestInjectAndCapture(t *testing.T) {
	topo, c, b := setup(t)
	var frames []packet.Frame
	add := func(f packet.Frame, err error) {
		t.Helper()
		require.NoError(t, err)
		frames = append(frames, f)
	}
	add(b.UDP4("v4", src4, dst4))
	add(b.UDP6("v6", src6, dst6))
	add(b.ARPRequest("arp", src4, netip.MustParseAddr("192.0.2.77")))
	add(b.VLANUDP4("vlan", 42, src4, dst4))
	add(b.BadIHL("ihl", 3, src4, dst4))
	add(b.Garbage("garbage", 0x88b5, 80))
	v4, err := b.UDP4("truncated", src4, dst4)
	require.NoError(t, err)
	add(packet.Truncate(v4, 20))
	for range 200 {
		add(b.UDP4("burst", src4, dst4))
	}
	var raw [][]byte
	var markers []packet.Marker
	for _, f := range frames {
		raw = append(raw, f.Bytes)
		markers = append(markers, f.Marker)
	}
	start := time.Now()
	require.NoError(t, topo.Inject(raw...))
	require.NoError(t, c.WaitFor(wait, markers...))
	t.Logf("%d frames injected and captured in %v; %d foreign frames", len(frames), time.Since(start), c.Foreign())
	assert.Zero(t, c.Foreign(), "the peer must stay quiet so XDP counters count only test frames: %v", c.ForeignFrames())
	for _, f := range frames {
		assert.Equal(t, 1, c.Count(f.Marker), "%s arrives exactly once", f)
	}
	drops, err := c.Drops()
	require.NoError(t, err)
	assert.Zero(t, drops)

	// The tap sees a tagged frame untagged, the tag in the aux data.
	vlan := c.Arrivals(frames[3].Marker)[0]
	assert.True(t, vlan.VLANOK, "PACKET_AUXDATA reports the stripped tag")
	assert.EqualValues(t, 42, vlan.VLAN&0x0fff)
	assert.Equal(t, len(frames[3].Bytes)-4, len(vlan.Frame), "the tap sees the frame without its 4-byte tag")
	assert.EqualValues(t, unix.PACKET_HOST, c.Arrivals(frames[0].Marker)[0].PktType)
	assert.EqualValues(t, unix.PACKET_BROADCAST, c.Arrivals(frames[2].Marker)[0].PktType)
	assert.Equal(t, frames[6].Bytes, c.Arrivals(frames[6].Marker)[0].Frame, "a truncated frame reaches the tap as sent")
}

// dropOddMarkers is an XDP program that drops frames whose source MAC (the
// marker's low byte) is odd and passes everything else.
func dropOddMarkers(t *testing.T) *ebpf.Program {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:    ebpf.XDP,
		License: "MIT",
		Instructions: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // data
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word), // data_end
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 12),
			asm.JGT.Reg(asm.R4, asm.R3, "pass"),
			asm.LoadMem(asm.R5, asm.R2, 11, asm.Byte),
			asm.And.Imm(asm.R5, 1),
			asm.JEq.Imm(asm.R5, 0, "pass"),
			asm.Mov.Imm(asm.R0, 1), // XDP_DROP
			asm.Return(),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("pass"), // XDP_PASS
			asm.Return(),
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { prog.Close() })
	return prog
}

// Verifies the premise of the whole lab: AF_PACKET taps run after XDP, so
// an XDP_DROP is never seen by the capture, in native and generic mode.
func TestTapRunsAfterXDP(t *testing.T) {
	for _, mode := range []struct {
		name     string
		flags    link.XDPAttachFlags
		attached uint32
	}{{"native", link.XDPDriverMode, 1}, {"generic", link.XDPGenericMode, 2}} {
		t.Run(mode.name, func(t *testing.T) {
			topo, c, b := setup(t)
			prog := dropOddMarkers(t)
			err := topo.DUT.Do(func() error {
				l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: topo.DUTIndex, Flags: mode.flags})
				if err == nil {
					t.Cleanup(func() { l.Close() })
				}
				return err
			})
			require.NoError(t, err)
			st, err := topo.DUTXDP()
			require.NoError(t, err)
			info, err := prog.Info()
			require.NoError(t, err)
			id, _ := info.ID()
			assert.Equal(t, netlab.XDPState{Attached: true, ProgID: uint32(id), Mode: mode.attached}, st)

			var odd, even []packet.Frame
			var raw [][]byte
			for range 100 {
				f, err := b.UDP4("f", src4, dst4)
				require.NoError(t, err)
				raw = append(raw, f.Bytes)
				if f.Marker%2 == 1 {
					odd = append(odd, f)
				} else {
					even = append(even, f)
				}
			}
			require.NoError(t, topo.Inject(raw...))
			fence, err := b.UDP4("fence", src4, dst4)
			require.NoError(t, err)
			if fence.Marker%2 == 1 { // the fence must pass: take an even marker
				fence, err = b.UDP4("fence", src4, dst4)
				require.NoError(t, err)
			}
			require.NoError(t, topo.Settle(c, fence, wait))
			for _, f := range even {
				assert.True(t, c.Seen(f.Marker), "%s passed by XDP must reach the tap", f)
			}
			for _, f := range odd {
				assert.False(t, c.Seen(f.Marker), "%s dropped by XDP must not reach the tap", f)
			}
		})
	}
}

// Settle fails, naming the fence, when the fence itself is dropped.
func TestSettleReportsMissingFence(t *testing.T) {
	topo, c, b := setup(t)
	prog := dropOddMarkers(t)
	require.NoError(t, topo.DUT.Do(func() error {
		l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: topo.DUTIndex, Flags: link.XDPGenericMode})
		if err == nil {
			t.Cleanup(func() { l.Close() })
		}
		return err
	}))
	f, err := b.UDP4("fence", src4, dst4) // marker 1: odd, dropped
	require.NoError(t, err)
	err = topo.Settle(c, f, 300*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), f.Marker.String())
	assert.Contains(t, err.Error(), "never arrived")
}

func TestNamespaceDoRestores(t *testing.T) {
	testenv.Setup(t)
	topo := netlab.New(t)
	before, err := net.Interfaces()
	require.NoError(t, err)
	require.NoError(t, topo.DUT.Do(func() error {
		_, err := net.InterfaceByName(netlab.DUTLink)
		return err
	}))
	after, err := net.Interfaces()
	require.NoError(t, err)
	assert.Equal(t, len(before), len(after), "the calling thread is back in its namespace")
}

func TestClose(t *testing.T) {
	testenv.Setup(t)
	topo, err := netlab.Create(context.Background())
	require.NoError(t, err)
	b, err := packet.NewBuilder(topo.DUTMAC)
	require.NoError(t, err)
	f, err := b.UDP4("v4", src4, dst4)
	require.NoError(t, err)
	require.NoError(t, topo.Inject(f.Bytes))
	require.NoError(t, topo.Close())
	assert.ErrorContains(t, topo.Inject(f.Bytes), "closed")
	assert.NoError(t, topo.Close(), "a second Close does nothing")
	assert.Error(t, topo.DUT.Do(func() error { return nil }), "a closed namespace cannot be entered")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = netlab.Create(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}
