// Package replay reproduces a field report: it replays the Ethernet frames
// of a capture (pcap or pcapng) through the XDP firewall twice, once over a
// real veth pair in network namespaces (delivered or dropped, as seen by a
// tap on dut0 after XDP) and once through BPF_PROG_TEST_RUN, and reports the
// two verdicts of every frame side by side.
//
// Frames keep their L3 and L4 content; their MAC addresses are rewritten so
// that the tap can tell each frame apart (a marker source MAC) and the DUT's
// stack ignores them (netlab.SinkMAC as destination). The firewall decides
// on L3, so both verdicts see the same frame. The topology is isolated in
// namespaces this package creates: whatever addresses the capture holds
// never leave them.
//
// With --expect (model, or a file of "FRAME pass|drop" lines) a third
// column says what each frame should get, and a frame counts as agreeing
// only if both paths give that. A frame shorter than an Ethernet header is
// shown as refused: the kernel does not run the program on it, so it has
// no verdict.
//
// The command around it is `bpflab replay` (internal/cli): for a kernel
// other than the host's it boots the kernel and runs the same static
// bpflab binary's replay inside.
package replay
