// Package qemu is the fast vm.Backend: it boots a kernel directly with
// qemu-system-x86_64 (-kernel/-initrd, no firmware disk, no distro init) and
// runs the job's binaries under internal/guest as /init.
//
// The kernel boots through its PVH entry when internal/vmlinux can extract an
// uncompressed vmlinux carrying the PVH note (else the bzImage boots). The
// console is ttyS0 (saved to WorkDir/console.log, streamed to Job.Stream);
// results come back as framed, checksummed records on ttyS1, so console
// noise cannot corrupt them. KVM is used when it is really usable, TCG
// otherwise. Every phase (prepare, boot, test, shutdown) has a deadline;
// when one passes, qemu is interrupted, then killed, and the error names the
// phase and carries the console tail.
package qemu
