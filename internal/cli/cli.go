package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bpflab/bpflab/internal/cli/command"
)

// Command is one entry of the table (see internal/cli/command).
type Command = command.Command

// Commands is the command table, in the order `bpflab help` lists it.
func Commands() []Command {
	return append(append([]Command{
		{Name: "matrix", Summary: "run the scenarios on every kernel and print a kernel x test table", Run: runMatrix},
		{Name: "kernels", Summary: "list, fetch, verify and update the kernel matrix", Run: runKernels},
		{Name: "exec", Summary: "run one static binary inside a kernel (go test -exec)", Run: runExec},
		{Name: "mutate", Summary: "plant bugs in BPF C, rerun the tests on kernels, report the mutants they let through", Run: runMutate},
		{Name: "check", Summary: "load and attach every program and map of BPF objects on every kernel", Run: runCheck},
		{Name: "report", Summary: "merge per-kernel results from several machines into one table, JUnit and Markdown", Run: runReport},
	}, OperatorCommands()...), []Command{
		{Name: "replay", Summary: "replay a pcap through the firewall over veth and BPF_PROG_TEST_RUN on one kernel", Run: runReplay},
		{Name: "guard", Summary: "enable, inspect, follow and disable the BPF LSM load policy", Run: runGuard},
		{Name: "verify", Summary: "check BPF object signatures and print signer and sha256", Run: runVerify},
		{Name: "sign", Summary: "sign BPF objects with the release key (maintainers)", Run: runSign},
		{Name: "keygen", Summary: "create a signing key pair", Run: runKeygen},
		{Name: "version", Summary: "print the version", Run: runVersion},
	}...)
}

// OperatorCommands are the commands that operate the live firewall and
// tracer. The policycli scenario binary runs just these (Run with this
// table), so it links none of the matrix, kernel store or VM backends.
func OperatorCommands() []Command {
	return []Command{
		{Name: "firewall", Summary: "attach, detach and inspect the XDP firewall on an interface", Run: runFirewall},
		{Name: "policy", Summary: "block, unblock, list, load and export the live blocklist", Run: runPolicy},
		{Name: "trace", Summary: "stream execve events (Ctrl-C stops and detaches)", Run: runTrace},
	}
}

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
		return command.ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			// `bpflab help CMD` is `bpflab CMD -h`.
			return Run(ctx, cmds, []string{args[1], "-h"}, stdout, stderr)
		}
		printUsage(stdout, cmds)
		return command.ExitOK
	}
	var cmd *Command
	for i := range cmds {
		if cmds[i].Name == name {
			cmd = &cmds[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "bpflab: unknown command %q (see bpflab help)\n", name)
		return command.ExitUsage
	}
	return command.Status(cmd.Run(ctx, args[1:], stdout, stderr), "bpflab "+name, stderr)
}

func printUsage(w io.Writer, cmds []Command) {
	fmt.Fprint(w, "usage: bpflab COMMAND [ARGS]   (bpflab help COMMAND, or bpflab COMMAND -h, for its flags)\n\ncommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("version", "bpflab version", stdout)
	operands, err := fs.ParseArgs(args)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return command.Usagef("unexpected arguments %q", operands)
	}
	fmt.Fprintln(stdout, "bpflab (dev)")
	return nil
}
