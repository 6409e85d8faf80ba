// Package initramfs builds the qemu backend's initial ramdisk in Go: a cpio
// "newc" archive holding the guest runner as /init, the binaries to run, and
// the kernel modules they need (dependencies resolved on the host and
// decompressed here, so the guest only calls finit_module). No busybox, no
// external cpio. Archives are cached by the hash of their contents.
package initramfs
