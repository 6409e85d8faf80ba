package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Command is one `bpflab NAME` subcommand. Run gets the arguments after
// NAME and the process's output streams; it returns nil (exit 0), a
// *UsageError (exit 2), an *ExitError (its exact status) or any other
// error (exit 1). Main prints the error, prefixed with the command's name.
type Command struct {
	Name    string
	Summary string // one line, shown by `bpflab help`
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// Commands is the command table, in the order `bpflab help` lists it.
func Commands() []Command {
	return append(append([]Command{
		{"matrix", "run the scenarios on every kernel and print a kernel x test table", runMatrix},
		{"kernels", "list, fetch, verify and update the kernel matrix", runKernels},
		{"exec", "run one static binary inside a kernel (go test -exec)", runExec},
		{"report", "merge per-kernel results from several machines into one table, JUnit and Markdown", runReport},
	}, OperatorCommands()...), []Command{
		{"replay", "replay a pcap through the firewall over veth and BPF_PROG_TEST_RUN on one kernel", runReplay},
		{"verify", "check BPF object signatures and print signer and sha256", runVerify},
		{"sign", "sign BPF objects with the release key (maintainers)", runSign},
		{"keygen", "create a signing key pair", runKeygen},
		{"version", "print the version", runVersion},
	}...)
}

// OperatorCommands are the commands that operate the live firewall and
// tracer. The policycli scenario binary runs just these (Run with this
// table), so it links none of the matrix, kernel store or VM backends.
func OperatorCommands() []Command {
	return []Command{
		{"firewall", "attach, detach and inspect the XDP firewall on an interface", runFirewall},
		{"policy", "block, unblock, list, load and export the live blocklist", runPolicy},
		{"trace", "stream execve events (Ctrl-C stops and detaches)", runTrace},
	}
}

// Exit statuses shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1   // the command ran and something failed
	ExitUsage   = 2   // bad flags, arguments or input: nothing was changed
	ExitVM      = 125 // exec/replay: the VM failed (boot, panic, deadline), not the binary
)

// UsageError is bad input (flags, arguments, files, state the operator
// must fix): exit status 2, and nothing was changed.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usagef is a *UsageError with a formatted message (%w allowed).
func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// asUsage marks err as bad input (nil stays nil).
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// ExitError makes bpflab exit with an exact status and print nothing more
// (the command said what it had to, or passes on a child's status).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// errHelp is returned after a command printed its help on request: exit 0.
var errHelp = errors.New("help printed")

// Main runs `bpflab ARGS...` with a context cancelled by SIGINT/SIGTERM and
// returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	return MainWith(Commands(), args, stdout, stderr)
}

// MainWith is Main with another command table.
func MainWith(cmds []Command, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmds, args, stdout, stderr)
}

// Run dispatches args[0] to its command in cmds and maps the outcome to an
// exit status (see Command).
func Run(ctx context.Context, cmds []Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr, cmds)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			// `bpflab help CMD` is `bpflab CMD -h`.
			return Run(ctx, cmds, []string{args[1], "-h"}, stdout, stderr)
		}
		printUsage(stdout, cmds)
		return ExitOK
	}
	var cmd *Command
	for i := range cmds {
		if cmds[i].Name == name {
			cmd = &cmds[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "bpflab: unknown command %q (see bpflab help)\n", name)
		return ExitUsage
	}
	return exitStatus(cmd.Run(ctx, args[1:], stdout, stderr), "bpflab "+name, stderr)
}

// exitStatus prints err (unless it carries its own status) and maps it.
func exitStatus(err error, prefix string, stderr io.Writer) int {
	var ee *ExitError
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return ExitFailure
	}
}

func printUsage(w io.Writer, cmds []Command) {
	fmt.Fprint(w, "usage: bpflab COMMAND [ARGS]   (bpflab help COMMAND, or bpflab COMMAND -h, for its flags)\n\ncommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "bpflab version", stdout)
	operands, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return usagef("unexpected arguments %q", operands)
	}
	fmt.Fprintln(stdout, "bpflab (dev)")
	return nil
}
