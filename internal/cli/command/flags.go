package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// FlagSet is a command's flags with its help text. Every command parses
// through it, so errors and -h behave the same everywhere: a flag error is
// a *UsageError naming the flag and pointing at -h (exit 2); -h prints the
// synopsis and the flags on stdout and exits 0.
type FlagSet struct {
	*flag.FlagSet
	synopsis string // "bpflab NAME ..." line(s), or a longer text starting with it
	stdout   io.Writer
}

// NewFlags makes the flags of command name ("kernels fetch" for a
// subcommand); synopsis is its help text, starting "bpflab name ...".
func NewFlags(name, synopsis string, stdout io.Writer) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once, by Run
	fs.Usage = func() {}
	return &FlagSet{FlagSet: fs, synopsis: synopsis, stdout: stdout}
}

// ParseArgs parses flags up to the first operand and returns the operands
// (what follows may be another program's flags, as for exec).
func (f *FlagSet) ParseArgs(args []string) ([]string, error) {
	if err := f.Parse(args); err != nil {
		return nil, f.failed(err)
	}
	return f.Args(), nil
}

// ParseInterleaved lets flags come before, between or after operands
// (`bpflab kernels fetch 6.1 --cache DIR`), which flag.Parse alone stops
// at; everything after "--" is an operand.
func (f *FlagSet) ParseInterleaved(args []string) ([]string, error) {
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

func (f *FlagSet) failed(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		f.help()
		return ErrHelp
	}
	return Usagef("%v (see bpflab %s -h)", err, strings.Fields(f.Name())[0])
}

// help prints the synopsis and the flags with their defaults.
func (f *FlagSet) help() {
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

// Subcommand splits off the subcommand of `bpflab what SUB ...`. With no
// subcommand or -h it prints the help (usage) and returns ErrHelp or a
// *UsageError.
func Subcommand(args []string, what, help string, stdout io.Writer, subs ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, Usagef("missing subcommand (one of %s; see bpflab %s -h)", strings.Join(subs, ", "), what)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, help)
		return "", nil, ErrHelp
	}
	for _, s := range subs {
		if args[0] == s {
			return s, args[1:], nil
		}
	}
	return "", nil, Usagef("unknown subcommand %q (one of %s)", args[0], strings.Join(subs, ", "))
}

// SplitList splits a comma-separated flag value, dropping blanks ("" is the
// empty list).
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
