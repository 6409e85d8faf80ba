// Package vmlinux extracts the uncompressed kernel ELF from a bzImage so
// qemu can boot it through its PVH entry point: that skips the firmware and
// the guest's own decompression, the largest part of a TCG boot.
//
// The payload is located through the x86 boot protocol header
// (payload_offset/payload_length), with a scan for compression magics as a
// fallback, and decompressed: zstd and gzip in Go, xz with the xz tool
// (every block, the x86 BCJ filter the kernel build applies, which
// github.com/ulikunitz/xz does not implement, and the integrity check).
package vmlinux
