// Package hardening proves bpflab's two protections on the running kernel:
// least-privilege loading (a non-root user with exactly the needed
// capabilities succeeds, one without them is refused by name, pinned maps
// are closed to other users) and signed objects (a tampered, unsigned or
// wrongly signed object is refused before anything is loaded).
package hardening
