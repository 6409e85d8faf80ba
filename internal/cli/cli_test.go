package cli

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bpflab/bpflab/internal/cli/command"
)

// Help is the same everywhere: `bpflab help`, `bpflab help CMD` and
// `bpflab CMD -h` print on stdout and exit 0; no command at all is a usage
// error on stderr.
func TestHelp(t *testing.T) {
	code, out, errs := run(t, "help")
	assert.Equal(t, 0, code)
	assert.Empty(t, errs)
	for _, c := range Commands() {
		assert.Contains(t, out, "  "+c.Name+" ", "help lists %s", c.Name)
	}

	code, out, errs = run(t)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "usage: bpflab COMMAND")

	// Commands with flags, with subcommands, and a subcommand's flags.
	for _, args := range [][]string{
		{"matrix", "-h"}, {"exec", "--help"}, {"replay", "-h"}, {"verify", "-h"}, {"keygen", "-h"},
		{"kernels", "-h"}, {"kernels", "fetch", "-h"}, {"report", "merge", "-h"},
		{"firewall", "-h"}, {"firewall", "attach", "-h"}, {"policy", "help"}, {"trace", "execve", "-h"},
	} {
		code, out, errs := run(t, args...)
		assert.Equal(t, 0, code, "%v", args)
		assert.Contains(t, out, "usage: bpflab "+args[0], "%v", args)
		assert.Empty(t, errs, "%v", args)
		hcode, hout, _ := run(t, "help", args[0])
		assert.Equal(t, 0, hcode, "help %s", args[0])
		assert.Contains(t, hout, "usage: bpflab "+args[0], "help %s", args[0])
	}
	_, out, _ = run(t, "firewall", "attach", "-h")
	assert.Contains(t, out, "-mode string", "a subcommand's -h lists its flags")
	assert.Contains(t, out, "native (or driver) or generic (or skb)", "--mode documents every spelling")
}

// Every command's flag errors and stray subcommands are usage errors (exit
// 2) that name the input, before anything runs.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"matrix", "--bogus"}, "flag provided but not defined: -bogus (see bpflab matrix -h)"},
		{[]string{"matrix", "-j", "0"}, "-j 0: want at least 1"},
		{[]string{"matrix", "--backend", "kvm"}, `--backend "kvm": want qemu or vng`},
		{[]string{"firewall"}, "missing subcommand (one of attach, detach, status"},
		{[]string{"firewall", "attach", "--mode"}, "flag needs an argument: -mode"},
		{[]string{"firewall", "status", "extra"}, `firewall status: unexpected arguments ["extra"]`},
		{[]string{"policy", "blok"}, `unknown subcommand "blok"`},
		{[]string{"policy", "block"}, "no CIDR given"},
		{[]string{"policy", "block", "192.0.2.1/24"}, "did you mean 192.0.2.0/24"},
		{[]string{"policy", "load"}, "want exactly one FILE"},
		{[]string{"trace"}, "missing subcommand (one of execve"},
		{[]string{"trace", "execve", "--pid", "99999999"}, "beyond the kernel's PID range"},
		{[]string{"report", "sum"}, `unknown subcommand "sum"`},
		{[]string{"verify"}, "name at least one BPF object"},
		{[]string{"keygen"}, "--signer is required"},
		{[]string{"version", "x"}, ""},
	} {
		code, out, errs := run(t, tc.args...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, errs)
		assert.Contains(t, errs, tc.want, "%v", tc.args)
		assert.Empty(t, out, "%v", tc.args)
	}
}

// A command's error maps to one exit status, whatever the command.
func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{errors.New("boom"), 1, "bpflab t: boom\n"},
		{command.Usagef("bad %s", "input"), 2, "bpflab t: bad input\n"},
		{&command.ExitError{Code: 7}, 7, ""},
		{command.ErrHelp, 0, ""},
	} {
		cmds := []Command{{Name: "t", Summary: "test", Run: func(context.Context, []string, io.Writer, io.Writer) error { return tc.err }}}
		var out, errb strings.Builder
		assert.Equal(t, tc.code, Run(t.Context(), cmds, []string{"t"}, &out, &errb), "%v", tc.err)
		assert.Equal(t, tc.stderr, errb.String(), "%v", tc.err)
	}
}
