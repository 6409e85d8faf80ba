// Package guard implements `bpflab guard enable|status|disable|log`: it
// loads the BPF LSM policy of bpf/guard, fills its allowlist (trusted
// executables by inode identity + content hash, trusted cgroups), attaches
// it and pins programs, links and maps under a bpffs directory, so the
// policy outlives the command. The kernel then refuses BPF loads, map
// creation, attach/detach, pinning and opening pins to every untrusted
// process in the scope, and reports each refusal on a ring buffer.
//
// Scope: the whole system, or one cgroup v2 subtree (what tests use on a
// shared host, so other workloads are never subject to the policy).
package guard
