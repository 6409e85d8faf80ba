// Package xdp holds the XDP firewall scenario: a table of crafted frames is
// injected over a real veth pair into a DUT namespace where the firewall is
// attached, in native (driver) and generic mode. For every frame it asserts
// delivered or not on dut0, that the per-CPU counters moved by exactly the
// expected amounts, and that BPF_PROG_TEST_RUN of the same bytes gives the
// same verdict as the real delivery (differential test).
//
// What "delivered" means precisely: the frame reached an AF_PACKET tap on
// dut0. Taps run after XDP in both modes, so XDP_DROP is never seen there.
// XDP_PASS frames are seen even when the stack drops them right after
// (a truncated IPv4 frame whose header is complete but whose UDP part is
// cut off is passed by the firewall and then discarded by ip_rcv; the tap
// still sees it). An 802.1Q-tagged frame is seen with the tag stripped from
// its bytes (the kernel moves it into the skb and reports it through
// PACKET_AUXDATA); the firewall, which runs before that, sees the tag.
//
// Unicast frames go to netlab.SinkMAC, not to dut0's own MAC: XDP and the
// taps see them all the same, but the DUT's IP stack ignores them and so
// never answers with ICMP or ARP, whose side effects were measured to add a
// stray XDP run to the counters in generic mode (see netlab.SinkMAC).
//
// The tests need root and a kernel with veth; they run unchanged as a static
// `go test -c` binary inside the matrix VMs.
package xdp
