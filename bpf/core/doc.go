// Package core loads the CO-RE portability program in core.bpf.c: a
// tracepoint on syscalls/sys_enter_getppid that reads the calling task's
// state through task_struct->__state (5.14 and later) or task_struct->state
// (older kernels), chosen at load time with bpf_core_field_exists, and
// records which field it used, the value, and the task's pid/tgid read
// through CO-RE as a cross-check.
//
// The same compiled object loads unchanged on both layouts: the loader
// resolves the relocations against the running kernel's BTF, and the
// branch for the missing field is dead code the verifier prunes.
package core
