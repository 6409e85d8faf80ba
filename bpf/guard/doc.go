// Package guard holds the BPF LSM policy program of `bpflab guard`
// (guard.bpf.c) and its generated bindings. The enable/status/disable
// logic lives in internal/guard.
package guard
