// Package bench measures the VM backends against the physical floor of this
// machine: a bare kernel boot to an /init that powers off at once (bzImage
// and PVH vmlinux), `bpflab exec` of a trivial binary on the qemu and vng
// backends, and the full scenario suite per kernel. Everything lives in
// benchmarks and in the slow backend-equality test (BPFLAB_SLOW=1); run
// them with `make bench`.
package bench
