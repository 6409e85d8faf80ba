package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet is a command's flags with its help text. Every command parses
// through it, so errors and -h behave the same everywhere: a flag error is
// a *UsageError naming the flag and pointing at -h (exit 2); -h prints the
// synopsis and the flags on stdout and exits 0.
type flagSet struct {
	*flag.FlagSet
	synopsis string // "bpflab NAME ..." line(s), or a longer text starting with it
	stdout   io.Writer
}

func newFlags(name, synopsis string, stdout io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once, by Run
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, synopsis: synopsis, stdout: stdout}
}

// parse parses flags up to the first operand and returns the operands
// (what follows may be another program's flags, as for exec).
func (f *flagSet) parse(args []string) ([]string, error) {
	if err := f.Parse(args); err != nil {
		return nil, f.failed(err)
	}
	return f.Args(), nil
}

// parseInterleaved lets flags come before, between or after operands
// (`bpflab kernels fetch 6.1 --cache DIR`), which flag.Parse alone stops
// at; everything after "--" is an operand.
func (f *flagSet) parseInterleaved(args []string) ([]string, error) {
	var operands []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, f.failed(err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			return operands, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(operands, rest...), nil
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
}

func (f *flagSet) failed(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		f.help()
		return errHelp
	}
	return usagef("%v (see bpflab %s -h)", err, strings.Fields(f.Name())[0])
}

// help prints the synopsis and the flags with their defaults.
func (f *flagSet) help() {
	s := f.synopsis
	if !strings.HasPrefix(s, "usage:") {
		s = "usage: " + s
	}
	fmt.Fprintln(f.stdout, strings.TrimRight(s, "\n"))
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(f.stdout, "\nflags:\n")
		f.SetOutput(f.stdout)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
}

// subcommand splits off the subcommand of `bpflab what SUB ...`. With no
// subcommand or -h it prints the help (usage) and returns errHelp or a
// *UsageError.
func subcommand(args []string, what, help string, stdout io.Writer, subs ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("missing subcommand (one of %s; see bpflab %s -h)", strings.Join(subs, ", "), what)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, help)
		return "", nil, errHelp
	}
	for _, s := range subs {
		if args[0] == s {
			return s, args[1:], nil
		}
	}
	return "", nil, usagef("unknown subcommand %q (one of %s)", args[0], strings.Join(subs, ", "))
}

// splitList splits a comma-separated flag value, dropping blanks ("" is the
// empty list).
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
