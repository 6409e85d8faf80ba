// Package execveapi runs the tests of the bpf/execve loader API that need a
// kernel (load without attach, counts, events, deadlines, Close during a
// read, Forget) in every kernel of the matrix; they lived next to the
// loader and ran on the host only. The exec calls come from
// internal/execchain, a static program, because the matrix VMs have no
// /bin/true.
package execveapi
