// Package kernel is the lab's kernel store: it reads the kernel manifest
// (kernels/manifest), pins what each entry resolved to in a lock file
// (kernels/lock.json), and turns an entry into a bootable *vm.Kernel.
//
// Debian kernels are resolved from the Debian archive with the system's own
// apt mirrors but a private apt configuration per suite (so bookworm hosts
// can reach bullseye, trixie and sid without touching /etc/apt), downloaded
// with `apt-get download`, checked against the sha256 in the lock, and
// extracted with `dpkg-deb -x` into a user cache. A later run reuses the
// extracted tree; a corrupt .deb is fetched again and a version the archive
// dropped is re-resolved, both with a message saying so.
//
// The flow for one kernel is Store.Ensure: lock entry (or Resolve) ->
// download -> verify -> extract -> locate vmlinuz and modules.
package kernel
