// Command bpflab is the lab's CLI: the kernel matrix, kernel cache, running
// binaries inside a kernel, and operating the firewall and tracer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run returns an error to print; a usageError
// exits 2, anything else 1, and *exitError carries an exact status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands lists the subcommands; each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version", runVersion},
		"exec":     {"run one static binary inside a kernel (go test -exec)", runExec},
		"verify":   {"check BPF object signatures and print signer and sha256", runVerify},
		"sign":     {"sign BPF objects with the release key (maintainers)", runSign},
		"keygen":   {"create a signing key pair", runKeygen},
		"kernels":  {"list, fetch, verify and update the kernel matrix", runKernels},
		"matrix":   {"run the scenarios on every kernel and print a kernel x test table", runMatrix},
		"firewall": {"attach, detach and inspect the XDP firewall on an interface", runFirewall},
		"policy":   {"block, unblock, list, load and export the live blocklist", runPolicy},
		"trace":    {"stream execve events (Ctrl-C stops and detaches)", runTrace},
		"replay":   {"replay a pcap through the firewall over veth and BPF_PROG_TEST_RUN on one kernel", runReplay},
		"report":   {"merge per-kernel results from several machines into one table, JUnit and Markdown", runReport},
		"mutate":   {"plant bugs in BPF C, rebuild, rerun the tests and report which bugs survive", runMutate},
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError makes bpflab exit with a given status (e.g. a child's exit code).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(realMain(os.Args[1:]))
}

func realMain(args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(cmds)
		return 2
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "bpflab: unknown command %q\n", args[0])
		usage(cmds)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, args[1:])
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "bpflab %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(os.Stderr, "bpflab %s: %v\n", args[0], err)
		return 1
	}
}

func usage(cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: bpflab COMMAND [ARGS]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, cmds[n].summary)
	}
}

func runVersion(ctx context.Context, args []string) error {
	fmt.Println("bpflab (dev)")
	return nil
}
