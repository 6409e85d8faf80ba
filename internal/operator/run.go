package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
)

// Env is what a command reads and writes.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// StdEnv is the process's standard streams.
func StdEnv() Env { return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr} }

// Commands are the operator commands Run knows, with a one-line summary.
var Commands = map[string]string{
	"firewall": "attach, detach and inspect the XDP firewall on an interface",
	"policy":   "block, unblock, list, load and export the live blocklist",
	"trace":    "stream execve events (Ctrl-C stops and detaches)",
}

// Run runs one operator command; args[0] is its name. Map the error to
// an exit status with ExitStatus.
func Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return badInput("no command: want firewall, policy or trace")
	}
	switch args[0] {
	case "firewall":
		return runFirewall(ctx, env, args[1:])
	case "policy":
		return runPolicy(ctx, env, args[1:])
	case "trace":
		return runTrace(ctx, env, args[1:])
	}
	return badInput("unknown command %q: want firewall, policy or trace", args[0])
}

// common are the flags every firewall and policy subcommand takes.
type common struct {
	iface   string
	pinRoot string
	wait    time.Duration
	json    bool
}

func newFlags(env Env, name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&c.iface, "iface", "", "network interface (in this network namespace)")
	fs.StringVar(&c.pinRoot, "pin-root", DefaultPinRoot, "bpffs directory holding one pin dir per interface")
	fs.DurationVar(&c.wait, "wait", firewall.DefaultLockTimeout, "how long to wait for another process changing the same firewall")
	fs.BoolVar(&c.json, "json", false, "print JSON")
	return fs
}

// parse parses flags; a flag error is bad input (the flag package has
// already printed it).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &BadInputError{Err: err}
		}
		return badInput("%s: %v", fs.Name(), err)
	}
	return nil
}

func subcommand(args []string, what string, subs ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, badInput("%s: missing subcommand (one of %v)", what, subs)
	}
	for _, s := range subs {
		if args[0] == s {
			return s, args[1:], nil
		}
	}
	return "", nil, badInput("%s: unknown subcommand %q (one of %v)", what, args[0], subs)
}

func printf(w io.Writer, format string, args ...any) { fmt.Fprintf(w, format, args...) }
