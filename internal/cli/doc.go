// Package cli is bpflab's command layer: the command table, flag handling,
// help, printing and the exit-status convention of every `bpflab` command.
// cmd/bpflab only calls Main.
//
// One convention for every command: a command returns nil (exit 0), a
// *UsageError for bad flags, arguments or input (exit 2; nothing was
// changed), an *ExitError for an exact status (a child's, or 125 when a VM
// failed), or any other error (exit 1). Main prints the error once, as
// "bpflab CMD: message". `bpflab help`, `bpflab help CMD` and `bpflab CMD
// -h` print help on stdout and exit 0. Flags may follow operands.
//
// A new command is one entry in Commands: name, one-line summary and a
// func(ctx, args, stdout, stderr) error, its logic in its own package.
//
// The operator commands (firewall, policy, trace) act on live kernel
// objects. State lives in bpffs under PinRoot/<iface>/ (directory 0700,
// pins 0600): the outer blocklist maps, the live tries (blocklist_v4_live,
// ...), the stats map, the program and, on kernels with XDP links, the
// link. Every command checks its input before it touches anything; bad
// input (a bad or ambiguous CIDR, an unknown interface, nothing attached,
// bpffs not mounted, missing privileges, a malformed policy file, a
// concurrent writer) is a *UsageError and leaves the pins as they were.
// The scenario binaries of scenarios/policycli run the same code
// (MainWith(OperatorCommands(), ...)) cross-process on the real pins.
package cli
