// Package operator implements bpflab's operator commands on live kernel
// objects: `firewall attach|detach|status`, `policy
// block|unblock|list|stats|load|export` and `trace execve`.
//
// It is a library so that cmd/bpflab and the scenario test binaries run the
// same code path: a scenario re-executes its own static test binary, which
// calls Run, and so drives the CLI cross-process on the real pins inside a
// minimal VM that has no other binaries.
//
// State lives in bpffs under PinRoot/<iface>/ (directory 0700, pins 0600):
// the outer blocklist maps, the live inner maps (hosts_v4_live,
// blocklist_v4_live, ...), the generation map "active", the stats map, the program and, on kernels with XDP links, the link. Every
// command checks its input before it touches anything; bad input (a bad or
// ambiguous CIDR, an unknown interface, nothing attached, bpffs not
// mounted, missing privileges, a malformed policy file, a concurrent writer)
// is a *BadInputError, exit status 2, and leaves the pins as they were.
package operator
