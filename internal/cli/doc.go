// Package cli is bpflab's command layer: the table of commands, dispatch,
// `bpflab help`, and the commands that have no package of their own
// (matrix, kernels, exec, report, firewall, policy, trace, replay, verify,
// sign, keygen). cmd/bpflab only calls Main.
//
// Every command follows internal/cli/command: one signature, one error
// convention (exit 0 ok, 1 failure, 2 bad input, an exact status with
// ExitError), one flag handling (flags may follow operands; -h, `bpflab
// help CMD` print help on stdout and exit 0).
//
// A new command is one entry in Commands: name, one-line summary and a
// command.Func, its logic in its own package, which imports
// internal/cli/command (not this package) for its flags and errors.
//
// The operator commands (firewall, policy, trace) act on live kernel
// objects. State lives in bpffs under PinRoot/<iface>/ (directory 0700,
// pins 0600): the outer blocklist maps, the live tries (blocklist_v4_live,
// ...), the stats map, the program and, on kernels with XDP links, the
// link. Every command checks its input before it touches anything; bad
// input (a bad or ambiguous CIDR, an unknown interface, nothing attached,
// bpffs not mounted, missing privileges, a malformed policy file, a
// concurrent writer) is a *command.UsageError and leaves the pins as they were.
// The scenario binaries of scenarios/policycli run the same code
// (MainWith(OperatorCommands(), ...)) cross-process on the real pins.
package cli
