// Package oracle judges the XDP firewall on every kernel against its
// reference model (bpf/firewall/model): generated corpora (every truncation
// of every template frame, the edges of every blocked prefix, IPv4-mapped
// IPv6 sources, seeded random mutations) go through BPF_PROG_TEST_RUN and
// through real veth delivery in native and generic mode, and each frame's
// verdict and counter deltas must equal the model's.
//
// BPF_PROG_TEST_RUN is judged frame by frame (counters read around each
// run). Veth frames are delivered in batches closed by a fence; a frame's
// verdict is whether the tap on dut0 saw it, and each batch's counter delta
// must equal the sum of the model's deltas; when it does not, the batch is
// delivered again one frame at a time to name the frame.
//
// Random mutations run for a time budget, not a count, because the same
// binary runs on the host and under TCG emulation: BPFLAB_ORACLE_BUDGET
// (a Go duration, default 2s for each of the two corpus tests) sets it,
// BPFLAB_SEED fixes the seed. Each test logs its seed and frames per
// second. A failure prints the frame in hex and a repro line. The committed
// fuzz corpus (testdata/fuzz/FuzzFirewall) is embedded and replayed by both
// corpus tests, so VMs run it too; FuzzFirewall is the host's
// coverage-guided fuzzer (`make fuzz`).
package oracle
