// Package policycli holds the operator scenarios: the bpflab CLI
// (internal/cli, the code cmd/bpflab runs) drives the live firewall from
// separate processes, through the real bpffs pins, on a real veth.
//
// The matrix runs static test binaries in minimal VMs with no other
// binaries, so the test binary is its own CLI: with BPFLAB_POLICYCLI_CHILD
// set, TestMain hands its arguments to cli.Main and exits with the
// CLI's status. Scenarios: block/unblock from the CLI change verdicts; a
// steady allowed flow loses nothing while `policy load` swaps in a large
// set, and blocked sources drop right after; the bad-input table (exit 2,
// pinned state unchanged); bpftool interop where bpftool exists.
//
// The size of the swapped set is BPFLAB_SCALE entries if set, else 100,000
// when the CPU is emulated by QEMU (TCG, "QEMU Virtual CPU" in
// /proc/cpuinfo: 10-30x slower), else 1,000,000.
package policycli
