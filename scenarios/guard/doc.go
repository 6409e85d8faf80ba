// Package guard proves `bpflab guard` on the running kernel: with the BPF
// LSM policy enabled, bpflab's own firewall and tracker still load and
// work, an untrusted binary (as root, and as a user with only CAP_BPF) is
// refused a program load and a map creation with the denial on the guard's
// ring buffer, untrusted processes cannot detach, unpin or open the guard,
// and with the guard disabled everything works again.
//
// Scope: inside a VM the test binary is the only workload (the guest runner
// sets BPFLAB_GUEST=1), so the guard is enforced system-wide. On a host,
// which other workloads share, it is enforced only inside a cgroup the test
// creates and starts its child processes in.
package guard
