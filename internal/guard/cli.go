package guard

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// UsageError is a command-line mistake (the CLI exits 2 for it).
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

const usage = `usage: bpflab guard enable [--scope system|cgroup:PATH] [--trust PATH]... [--trust-cgroup PATH]... [--pin-dir DIR]
       bpflab guard status [--pin-dir DIR]
       bpflab guard log [--pin-dir DIR]
       bpflab guard disable [--pin-dir DIR]`

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// Run is `bpflab guard ARGS`.
func Run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		return UsageError{usage}
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("guard "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	pinDir := fs.String("pin-dir", DefaultPinDir, "bpffs directory holding the guard's pins")
	var scope string
	var trust, trustCg multi
	if sub == "enable" {
		fs.StringVar(&scope, "scope", "system", "where the policy applies: system, or cgroup:PATH (a cgroup v2 subtree)")
		fs.Var(&trust, "trust", "a loader binary to trust (repeatable; this bpflab is always trusted)")
		fs.Var(&trustCg, "trust-cgroup", "a cgroup v2 directory whose processes are trusted (repeatable)")
	}
	switch sub {
	case "enable", "status", "log", "disable":
	default:
		return UsageError{fmt.Sprintf("unknown subcommand %q\n%s", sub, usage)}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return UsageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return UsageError{fmt.Sprintf("unexpected arguments %q\n%s", fs.Args(), usage)}
	}
	switch sub {
	case "enable":
		sc, err := ParseScope(scope)
		if err != nil {
			return err
		}
		st, err := Enable(Config{PinDir: *pinDir, Scope: sc, Trust: trust, TrustCgroups: trustCg})
		if err != nil {
			return err
		}
		st.Print(stdout)
		return nil
	case "status":
		st, err := ReadStatus(*pinDir)
		if err != nil {
			return err
		}
		st.Print(stdout)
		return nil
	case "log":
		return Log(ctx, *pinDir, func(d Denial) bool {
			fmt.Fprintln(stdout, d)
			return true
		})
	default:
		if err := Disable(*pinDir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "guard at %s disabled\n", *pinDir)
		return nil
	}
}
