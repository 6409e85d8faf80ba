// Package guest is the runner that executes scenario binaries inside a
// kernel under test, and the protocol it speaks with the host.
//
// The runner works in two situations:
//
//   - as PID 1 (/init of an initramfs booted by the qemu backend): it mounts
//     /proc, /sys, /dev, bpffs, tracefs and /tmp, brings lo up, loads the
//     (already decompressed) modules with finit_module, runs the binaries,
//     sends framed records on a dedicated serial port, and always powers off;
//   - as an ordinary process (e.g. inside a virtme-ng guest): it mounts only
//     what is missing, loads modules by path (finit_module) or by name
//     (modprobe), and writes its Report as JSON into a results directory.
//
// Records on the serial port are framed and checksummed (see Frame) so that
// console noise or a truncated write can never be mistaken for a result.
package guest
