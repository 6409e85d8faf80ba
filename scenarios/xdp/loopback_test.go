package xdp_test

import (
	"testing"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGenericXDPSeesLoopedBroadcast pins a kernel behaviour that bends
// exact counters: a UDP frame to dut0's own MAC from the subnet broadcast
// address makes the DUT answer with an ICMP error to that broadcast address.
// The kernel loops a copy of every broadcast it sends back into the sending
// device (PACKET_LOOPBACK, mac header reset to the IP header). Generic XDP
// runs on that copy and, seeing the IP header where Ethernet should be,
// classifies it as non-IP and passes it; AF_PACKET taps drop loopback
// copies, so no capture sees it. Native XDP never sees it. This is why the
// other scenarios address frames to netlab.SinkMAC.
func TestGenericXDPSeesLoopedBroadcast(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			l := newLab(t, mode, firewall.Options{})
			b, err := packet.NewBuilder(l.topo.DUTMAC) // to the DUT's stack on purpose
			require.NoError(t, err)
			probe, err := b.UDP4("UDP from the subnet broadcast address", a("192.0.2.255"), dst4)
			require.NoError(t, err)
			// Off-link sources: the DUT has no route back, so fences get no answer.
			fence1, err := b.UDP4("fence 1", a("198.51.100.1"), dst4)
			require.NoError(t, err)
			fence2, err := b.UDP4("fence 2", a("198.51.100.2"), dst4)
			require.NoError(t, err)

			before := l.stats(t)
			require.NoError(t, l.topo.Inject(probe.Bytes))
			require.NoError(t, l.topo.Settle(l.cap, fence1, settleTimeout))
			// The looped-back copy is queued while the probe is processed,
			// possibly behind fence 1; fence 2 is queued after it for sure.
			require.NoError(t, l.topo.Settle(l.cap, fence2, settleTimeout))
			got := sub(l.stats(t), before)

			assert.True(t, l.cap.Seen(probe.Marker), "%s reaches dut0", probe)
			assert.Zero(t, l.cap.Foreign(), "taps never see the looped-back copy: %v", l.cap.ForeignFrames())
			want := times(passV4, 3) // the probe and two fences
			if mode == firewall.ModeGeneric {
				want = add(want, passNonIP) // the looped-back ICMP error
			}
			assert.Equal(t, want, got, "%s mode: XDP runs for probe + 2 fences (+ looped-back broadcast in generic mode); "+
				"a difference means this kernel loops back or answers broadcasts differently", mode)
		})
	}
}
