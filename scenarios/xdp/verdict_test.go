package xdp_test

import (
	"net/netip"
	"testing"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	dst4 = netip.MustParseAddr("192.0.2.1")
	dst6 = netip.MustParseAddr("2001:db8::1")

	// The blocklist every verdict test starts from.
	blockHost = netip.MustParsePrefix("192.0.2.66/32")
	blockNet  = netip.MustParsePrefix("198.51.100.0/24")
	blockNet6 = netip.MustParsePrefix("2001:db8:bad::/48")
)

// Counter contributions of one frame, as the firewall documents them.
var (
	passV4    = firewall.Stats{Passed: 1, IPv4: 1}
	dropV4    = firewall.Stats{Dropped: 1, IPv4: 1}
	passV6    = firewall.Stats{Passed: 1, IPv6: 1}
	dropV6    = firewall.Stats{Dropped: 1, IPv6: 1}
	passNonIP = firewall.Stats{Passed: 1, NonIP: 1}
	malformed = firewall.Stats{Malformed: 1}
	vlan      = firewall.Stats{VLAN: 1}
)

type verdictCase struct {
	frame packet.Frame
	pass  bool
	stats firewall.Stats
}

func a(s string) netip.Addr { return netip.MustParseAddr(s) }

// verdictCases builds the frame table. Each frame gets a fresh marker, so
// the table is rebuilt per topology.
func verdictCases(t *testing.T, b *packet.Builder) []verdictCase {
	t.Helper()
	var cs []verdictCase
	row := func(pass bool, st firewall.Stats) func(packet.Frame, error) {
		return func(f packet.Frame, err error) {
			t.Helper()
			require.NoError(t, err)
			cs = append(cs, verdictCase{frame: f, pass: pass, stats: st})
		}
	}
	cut := func(name string, n int) func(packet.Frame, error) (packet.Frame, error) {
		return func(f packet.Frame, err error) (packet.Frame, error) {
			if err != nil {
				return f, err
			}
			f, err = packet.Truncate(f, n)
			f.Name = name
			return f, err
		}
	}
	row(true, passV4)(b.UDP4("allowed v4", allowed4, dst4))
	row(false, dropV4)(b.UDP4("blocked v4 /32", a("192.0.2.66"), dst4))
	row(true, passV4)(b.UDP4("v4 next to the blocked /32", a("192.0.2.67"), dst4))
	row(false, dropV4)(b.UDP4("blocked v4 CIDR, first address", a("198.51.100.0"), dst4))
	row(false, dropV4)(b.UDP4("blocked v4 CIDR, last address", a("198.51.100.255"), dst4))
	row(true, passV6)(b.UDP6("allowed v6", a("2001:db8::10"), dst6))
	row(false, dropV6)(b.UDP6("blocked v6 /48", a("2001:db8:bad:ffff::5"), dst6))
	row(true, passV6)(b.UDP6("v6 just outside the /48", a("2001:db8:bae::5"), dst6))
	// ARP carries no IP source the firewall filters: passed even from a
	// blocked address (a documented limit, not a bug).
	row(true, passNonIP)(b.ARPRequest("ARP from a blocked address", a("192.0.2.66"), a("192.0.2.77")))
	row(true, add3(vlan, passV4))(b.VLANUDP4("VLAN-tagged allowed v4", 42, allowed4, dst4))
	row(false, add3(vlan, dropV4))(b.VLANUDP4("VLAN-tagged blocked v4", 42, a("198.51.100.7"), dst4))
	row(false, malformed)(cut("v4 cut inside the IP header (20 bytes)", 20)(b.UDP4("", allowed4, dst4)))
	row(false, malformed)(cut("v4 cut after the Ethernet header (14 bytes)", 14)(b.UDP4("", allowed4, dst4)))
	// Complete IP header, UDP cut off: the firewall passes it, the stack
	// drops it later (after the tap).
	row(true, passV4)(cut("allowed v4 cut after the IP header (34 bytes)", 34)(b.UDP4("", allowed4, dst4)))
	row(false, dropV4)(cut("blocked v4 cut after the IP header (34 bytes)", 34)(b.UDP4("", a("198.51.100.9"), dst4)))
	row(false, malformed)(cut("v6 cut inside the IP header (40 bytes)", 40)(b.UDP6("", a("2001:db8::10"), dst6)))
	row(false, add3(vlan, malformed))(cut("VLAN v4 cut inside the IP header (30 bytes)", 30)(b.VLANUDP4("", 42, allowed4, dst4)))
	row(false, malformed)(cut("VLAN tag cut (16 bytes)", 16)(b.VLANUDP4("", 42, allowed4, dst4)))
	row(false, malformed)(b.BadIHL("IPv4 IHL 3", 3, allowed4, dst4))
	row(true, passNonIP)(b.Garbage("garbage, unknown EtherType", 0x88b5, 80))
	g, err := b.Garbage("garbage after an IPv4 EtherType, version 0", 0x0800, 80)
	g.Bytes[14] = 0x05 // version 0, IHL 5: the version check must catch it
	row(false, malformed)(g, err)
	g6, err := b.Garbage("garbage after an IPv6 EtherType, version 0", 0x86dd, 80)
	g6.Bytes[14] &= 0x0f
	row(false, malformed)(g6, err)
	return cs
}

func add3(s ...firewall.Stats) firewall.Stats {
	var sum firewall.Stats
	for _, x := range s {
		sum = add(sum, x)
	}
	return sum
}

func blockAll(t *testing.T, fw *firewall.Firewall) {
	t.Helper()
	for _, p := range []netip.Prefix{blockHost, blockNet, blockNet6} {
		require.NoError(t, fw.Block(p))
	}
}

// TestVerdicts: every frame of the table through a real veth in native and
// generic mode: delivered or not, exact counter deltas, and the same
// verdicts from BPF_PROG_TEST_RUN.
func TestVerdicts(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			l := newLab(t, mode, firewall.Options{})
			blockAll(t, l.fw)
			cases := verdictCases(t, l.b)
			frames := make([]packet.Frame, len(cases))
			var want firewall.Stats
			for i, c := range cases {
				frames[i] = c.frame
				want = add(want, c.stats)
			}
			want = add(want, passV4) // the fence

			before := l.stats(t)
			l.deliver(t, frames)
			got := sub(l.stats(t), before)
			assert.Equal(t, want, got, "counter deltas for %d frames + 1 fence on veth", len(frames))

			for _, c := range cases {
				t.Run(c.frame.Name, func(t *testing.T) {
					seen := l.cap.Count(c.frame.Marker)
					if c.pass {
						assert.Equal(t, 1, seen, "%s must be delivered to dut0 exactly once", c.frame)
					} else {
						assert.Zero(t, seen, "%s must be dropped by XDP, but reached dut0", c.frame)
					}
				})
			}
			assert.Zero(t, l.cap.Foreign(), "unexpected frames on dut0 (they would skew counters): %v", l.cap.ForeignFrames())

			// Differential: BPF_PROG_TEST_RUN on the same bytes agrees with
			// the real delivery frame by frame, and counts the same.
			before = l.stats(t)
			var wantRun firewall.Stats
			for _, c := range cases {
				v, err := l.fw.TestRun(c.frame.Bytes)
				require.NoError(t, err, "test run %s", c.frame)
				delivered := l.cap.Seen(c.frame.Marker)
				assert.Equal(t, delivered, v == firewall.XDPPass,
					"%s: BPF_PROG_TEST_RUN says %v, veth delivery says delivered=%v", c.frame, v, delivered)
				assert.Contains(t, []firewall.Verdict{firewall.XDPPass, firewall.XDPDrop}, v)
				wantRun = add(wantRun, c.stats)
			}
			assert.Equal(t, wantRun, sub(l.stats(t), before), "counter deltas of the test runs")

			// The tap sees tagged frames untagged, with the tag in aux data.
			for _, c := range cases {
				if c.frame.Name == "VLAN-tagged allowed v4" {
					arr := l.cap.Arrivals(c.frame.Marker)
					require.Len(t, arr, 1)
					assert.True(t, arr[0].VLANOK, "PACKET_AUXDATA reports the stripped 802.1Q tag")
					assert.EqualValues(t, 42, arr[0].VLAN&0x0fff)
					assert.Len(t, arr[0].Frame, len(c.frame.Bytes)-4)
				}
			}
		})
	}
}
