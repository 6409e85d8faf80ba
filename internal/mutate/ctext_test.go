package mutate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOperatorBetween(t *testing.T) {
	src := []byte("if ((void *)(eth + 1) /* end? */ > data_end) x = a >= b;")
	lhsEnd := len("if ((void *)(eth + 1")
	rhs := len("if ((void *)(eth + 1) /* end? */ > ")
	assert.Equal(t, len("if ((void *)(eth + 1) /* end? */ "), operatorBetween(src, lhsEnd, rhs, ">"))
	assert.Equal(t, -1, operatorBetween(src, lhsEnd, rhs, ">="), "> is not >=")
	assert.Equal(t, -1, operatorBetween(src, 0, rhs, ">"), "other tokens before the operator")
}

func TestMacroCall(t *testing.T) {
	src := []byte("proto == bpf_htons(ETH_P_IP) || x == bpf_htonl((a << 8) | b);")
	end, arg, ok := macroCall(src, len("proto == "))
	assert.True(t, ok)
	assert.Equal(t, "ETH_P_IP", arg)
	assert.Equal(t, len("proto == bpf_htons(ETH_P_IP)"), end)
	i := len("proto == bpf_htons(ETH_P_IP) || x == ")
	end, arg, ok = macroCall(src, i)
	assert.True(t, ok)
	assert.Equal(t, "(a << 8) | b", arg)
	assert.Equal(t, len(src)-1, end)
	_, _, ok = macroCall([]byte("XDP_PASS;"), 0)
	assert.False(t, ok, "an object-like macro has no call")
}

func TestSkipSpaceAndTokens(t *testing.T) {
	src := []byte("  // c\n /* d */\tfoo->bar >>= 2")
	i := skipSpace(src, 0)
	assert.Equal(t, "foo", tokenAt(src, i))
	assert.Equal(t, "->", tokenAt(src, i+3))
	assert.Equal(t, ">>=", tokenAt(src, len(src)-5))
	assert.Equal(t, "0x86DD", tokenAt([]byte("0x86DD)"), 0))
}

func TestApplyAndDiff(t *testing.T) {
	src := []byte("a\nb\n\tif (x > 1)\n\t\treturn 0;\nc\nd\n")
	muts := finish("p", "p.bpf.c", src, []edit{
		{op: OpRelational, off: 11, end: 12, repl: ">="},
		{op: OpDelete, off: 5, end: 27, repl: ""},
		{op: OpRelational, off: 11, end: 12, repl: ">="}, // a macro argument seen twice
		{op: OpConstant, off: 13, end: 14, repl: "1"},    // a no-op
	})
	if !assert.Len(t, muts, 2) {
		return
	}
	del, rel := muts[0], muts[1]
	assert.Equal(t, "p-001", del.ID)
	assert.Equal(t, "\tif (x > 1)\n\t\treturn 0;\n", del.Old, "whole lines")
	assert.Equal(t, "(deleted)", del.After)
	assert.Equal(t, 3, del.Line)
	assert.Equal(t, "--- a/p.bpf.c\n+++ b/p.bpf.c\n@@ -1,6 +1,4 @@\n a\n b\n-\tif (x > 1)\n-\t\treturn 0;\n c\n d\n", del.Diff())
	assert.Equal(t, "p-002", rel.ID)
	assert.Equal(t, "if (x > 1)  =>  if (x >= 1)", rel.Change())
	assert.Equal(t, "--- a/p.bpf.c\n+++ b/p.bpf.c\n@@ -1,5 +1,5 @@\n a\n b\n-\tif (x > 1)\n+\tif (x >= 1)\n \t\treturn 0;\n c\n", rel.Diff())
	out, err := rel.Apply(src)
	assert.NoError(t, err)
	assert.Equal(t, "a\nb\n\tif (x >= 1)\n\t\treturn 0;\nc\nd\n", string(out))
	_, err = rel.Apply([]byte("a\nb\n\tif (x < 1)\n"))
	assert.ErrorContains(t, err, "no longer has \">\"")
}
