// Package model is the XDP firewall's documented policy (package
// bpf/firewall) written as plain Go, with no kernel: frame bytes and a
// policy in, the verdict and the exact counter deltas out.
//
// It is the oracle every kernel is judged against: the scenarios run the
// same frames through BPF_PROG_TEST_RUN and real veth delivery and require
// the kernel's verdicts and counters to equal the model's. It is written
// from the documentation, not from the C, so a logic bug in the program
// (a wrong bound, a swapped verdict, a wrong counter) shows as a
// disagreement instead of being reproduced on both sides.
package model
