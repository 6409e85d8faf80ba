// Package btf holds the BTF/CO-RE portability scenarios: the same compiled
// object reads the calling task's state through task_struct->__state or
// task_struct->state, whichever the running kernel has, and the result is
// checked against the kernel's own BTF; and the per-kernel load report of
// every bpflab object is built, checked for completeness and written to
// $BPFLAB_ARTIFACTS for the matrix to compare across kernels.
package btf
