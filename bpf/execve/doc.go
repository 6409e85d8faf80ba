// Package execve loads and drives the execve tracker in execve.bpf.c: two
// tracepoint programs (sys_enter_execve, sys_enter_execveat) that count
// calls per process (TGID) in the exec_counts hash map and send one Event
// per call to user space.
//
// Events travel through a BPF ring buffer where the kernel has one (5.8+)
// and through a perf event array otherwise; Options.ForcePerf selects the
// fallback on new kernels too, so both paths can be tested anywhere.
//
// Counts count syscall entries, so an execve that fails still counts.
package execve
