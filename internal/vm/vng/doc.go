// Package vng is the vm.Backend that boots a kernel with virtme-ng (`vng`):
// the guest sees the host's root filesystem, so the static test binaries and
// the guest runner (bpflab guest) run from their host paths, and the
// runner's report comes back as a file in a shared writable directory
// (vng's own exit status is not reliable: it is 255 without udev whatever
// the command returned). Every phase has a deadline; on a hang the whole
// process group (vng and its qemu) is killed and the error carries the
// console tail.
package vng
