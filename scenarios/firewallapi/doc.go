// Package firewallapi runs the tests of the bpf/firewall loader API that
// need a kernel (load, attach, blocklist edits, pins, live swaps, table
// verdicts through BPF_PROG_TEST_RUN) in every kernel of the matrix; they
// lived next to the loader and ran on the host only. What needs no kernel
// stays in bpf/firewall.
package firewallapi
