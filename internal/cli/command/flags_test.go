package command

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInterleaved(t *testing.T) {
	var out strings.Builder
	fs := NewFlags("kernels fetch", "bpflab kernels fetch [NAMES...]", &out)
	cache := fs.String("cache", "", "cache dir")
	v := fs.Bool("v", false, "verbose")
	ops, err := fs.ParseInterleaved([]string{"6.1", "--cache", "/c", "7.x", "-v", "--", "-not-a-flag", "x"})
	require.NoError(t, err)
	assert.Equal(t, []string{"6.1", "7.x", "-not-a-flag", "x"}, ops, "operands in order; all after -- kept")
	assert.Equal(t, "/c", *cache)
	assert.True(t, *v)
	assert.Empty(t, out.String())
}

func TestParseArgsStopsAtTheFirstOperand(t *testing.T) {
	fs := NewFlags("exec", "bpflab exec BINARY [ARGS...]", &strings.Builder{})
	k := fs.String("kernel", "", "kernel")
	ops, err := fs.ParseArgs([]string{"--kernel", "6.1", "x.test", "-test.v", "--kernel", "other"})
	require.NoError(t, err)
	assert.Equal(t, "6.1", *k)
	assert.Equal(t, []string{"x.test", "-test.v", "--kernel", "other"}, ops, "the binary's own flags are not ours")
}

func TestFlagErrorsAndHelp(t *testing.T) {
	var out strings.Builder
	fs := NewFlags("policy block", "bpflab policy block CIDR...", &out)
	fs.String("iface", "", "network `IF`")

	_, err := fs.ParseInterleaved([]string{"--bogus"})
	var ue *UsageError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "flag provided but not defined: -bogus (see bpflab policy -h)", err.Error())
	assert.Empty(t, out.String(), "errors are returned, not printed")

	_, err = fs.ParseArgs([]string{"-h"})
	assert.True(t, errors.Is(err, ErrHelp))
	assert.Equal(t, "usage: bpflab policy block CIDR...\n\nflags:\n  -iface IF\n    \tnetwork IF\n", out.String())
}

func TestSubcommand(t *testing.T) {
	var out strings.Builder
	sub, rest, err := Subcommand([]string{"load", "f.txt"}, "policy", "help text\n", &out, "block", "load")
	require.NoError(t, err)
	assert.Equal(t, "load", sub)
	assert.Equal(t, []string{"f.txt"}, rest)

	_, _, err = Subcommand(nil, "policy", "help text\n", &out, "block", "load")
	assert.EqualError(t, err, "missing subcommand (one of block, load; see bpflab policy -h)")
	_, _, err = Subcommand([]string{"blok"}, "policy", "help text\n", &out, "block", "load")
	assert.EqualError(t, err, `unknown subcommand "blok" (one of block, load)`)
	assert.Empty(t, out.String())
	_, _, err = Subcommand([]string{"-h"}, "policy", "help text\n", &out, "block", "load")
	assert.ErrorIs(t, err, ErrHelp)
	assert.Equal(t, "help text\n", out.String())
}

func TestStatus(t *testing.T) {
	var errb strings.Builder
	assert.Equal(t, ExitOK, Status(nil, "bpflab x", &errb))
	assert.Equal(t, ExitOK, Status(ErrHelp, "bpflab x", &errb))
	assert.Equal(t, 42, Status(&ExitError{Code: 42}, "bpflab x", &errb))
	assert.Empty(t, errb.String())
	assert.Equal(t, ExitUsage, Status(Usagef("bad %q", "in"), "bpflab x", &errb))
	assert.Equal(t, ExitFailure, Status(errors.New("broke"), "bpflab x", &errb))
	assert.Equal(t, "bpflab x: bad \"in\"\nbpflab x: broke\n", errb.String())
	assert.Nil(t, AsUsage(nil))
}

func TestSplitList(t *testing.T) {
	assert.Nil(t, SplitList(""))
	assert.Equal(t, []string{"a", "b"}, SplitList(" a,, b ,"))
}
