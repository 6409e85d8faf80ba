// Package command is what every bpflab command is made of, whichever
// package it lives in: its signature (Func), its errors and their exit
// statuses, and its flag handling. internal/cli holds the table of
// commands and dispatches; a command in another package (internal/mutate,
// say) imports only this package, so the table can import it back.
//
// The convention: a command returns nil (exit 0), a *UsageError for bad
// flags, arguments or input (exit 2; nothing was changed), an *ExitError
// for an exact status (a child's, or 125 when a VM failed), or any other
// error (exit 1). The dispatcher prints the error once, as
// "bpflab NAME: message". -h prints help on stdout and exits 0.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Func runs one command with the arguments after its name.
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Command is one `bpflab NAME` subcommand.
type Command struct {
	Name    string
	Summary string // one line, shown by `bpflab help`
	Run     Func
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

// Usagef is a *UsageError with a formatted message (%w allowed).
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// AsUsage marks err as bad input (nil stays nil).
func AsUsage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// ExitError makes bpflab exit with an exact status and print nothing more
// (the command said what it had to, or passes on a child's status).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ErrHelp is returned after a command printed its help on request: exit 0.
var ErrHelp = errors.New("help printed")

// Status maps a command's error to the exit status and prints it (unless
// it carries its own status) to stderr, after prefix.
func Status(err error, prefix string, stderr io.Writer) int {
	var ee *ExitError
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, ErrHelp):
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
