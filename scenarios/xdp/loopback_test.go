package xdp_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
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
//
// Whether the DUT answers at all depends on the kernel: 6.12 and older send
// the port-unreachable error to the broadcast source, 7.x sends none (its
// Icmp OutDestUnreachs stays 0, measured in the guest). The test reads that
// counter in the DUT's namespace and expects one looped-back copy per error
// the DUT actually sent.
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

			unreachBefore := icmpOutDestUnreachs(t, l)
			before := l.stats(t)
			require.NoError(t, l.topo.Inject(probe.Bytes))
			require.NoError(t, l.topo.Settle(l.cap, fence1, settleTimeout))
			// The looped-back copy is queued while the probe is processed,
			// possibly behind fence 1; fence 2 is queued after it for sure.
			require.NoError(t, l.topo.Settle(l.cap, fence2, settleTimeout))
			got := sub(l.stats(t), before)
			sent := icmpOutDestUnreachs(t, l) - unreachBefore
			require.LessOrEqual(t, sent, uint64(1), "the DUT answers the probe at most once")
			if sent == 0 {
				t.Logf("this kernel sent no ICMP error to the broadcast source (Icmp OutDestUnreachs unchanged), so nothing is looped back")
			}

			assert.True(t, l.cap.Seen(probe.Marker), "%s reaches dut0", probe)
			assert.Zero(t, l.cap.Foreign(), "taps never see the looped-back copy: %v", l.cap.ForeignFrames())
			want := times(passV4, 3) // the probe and two fences
			if mode == firewall.ModeGeneric && sent == 1 {
				want = add(want, passNonIP) // the looped-back ICMP error
			}
			assert.Equal(t, want, got, "%s mode: XDP runs for probe + 2 fences (+ looped-back broadcast in generic mode); "+
				"a difference means this kernel loops back or answers broadcasts differently", mode)
		})
	}
}

// icmpOutDestUnreachs reads the DUT namespace's Icmp OutDestUnreachs
// counter. /proc/thread-self: /proc/net follows the process, not the thread
// that entered the namespace.
func icmpOutDestUnreachs(t *testing.T, l *lab) uint64 {
	t.Helper()
	var n uint64
	require.NoError(t, l.topo.DUT.Do(func() error {
		b, err := os.ReadFile("/proc/thread-self/net/snmp")
		if err != nil {
			return err
		}
		var names []string
		for _, ln := range strings.Split(string(b), "\n") {
			f := strings.Fields(ln)
			if len(f) == 0 || f[0] != "Icmp:" {
				continue
			}
			if names == nil {
				names = f
				continue
			}
			for i, name := range names {
				if name == "OutDestUnreachs" && i < len(f) {
					n, err = strconv.ParseUint(f[i], 10, 64)
					return err
				}
			}
		}
		return fmt.Errorf("no Icmp OutDestUnreachs in /proc/thread-self/net/snmp")
	}))
	return n
}
