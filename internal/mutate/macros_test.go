package mutate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Operators that are macros in C (TC actions, byte-order conversions) are
// found at their expansion point in the main file; macros from headers and
// tokens inside their bodies are not mutated.
func TestMacroOperators(t *testing.T) {
	cc := needClang(t)
	root := t.TempDir()
	dir := filepath.Join(root, "tc")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("gen.go", "package tc\n\n//go:generate go tool bpf2go -cflags \"-O2 -Wall -I.\" tc tc.bpf.c\n")
	write("hdr.h", "#define HDR_LIMIT 7\n#define swap16(x) ((unsigned short)(((x) << 8) | ((x) >> 8)))\n")
	write("tc.bpf.c", `#include "hdr.h"
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define bpf_htons(x) swap16(x)
#define ETH_P_IP 0x0800
struct ctx { unsigned short proto; unsigned int saddr, daddr; };

int classify(struct ctx *c)
{
	/* a comment with bpf_htons(ETH_P_IP) > TC_ACT_OK is not code */
	if (c->proto == bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
`)
	progs, muts, err := List(context.Background(), Options{Root: root, Dirs: []string{dir}, CC: cc})
	require.NoError(t, err)
	require.Len(t, progs, 1)
	var got []string
	for _, m := range muts {
		got = append(got, m.Operator+": "+strings.TrimSpace(m.Before)+" => "+strings.TrimSpace(m.After))
	}
	want := []string{
		"byte-order: if (c->proto == bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT) => if (c->proto == ETH_P_IP && c->saddr > HDR_LIMIT)",
		"relational: if (c->proto == bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT) => if (c->proto != bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT)",
		"relational: if (c->proto == bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT) => if (c->proto == bpf_htons(ETH_P_IP) && c->saddr >= HDR_LIMIT)",
		"field: if (c->proto == bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT) => if (c->proto == bpf_htons(ETH_P_IP) && c->daddr > HDR_LIMIT)",
		"action: return TC_ACT_SHOT; => return TC_ACT_OK;",
		"action: return TC_ACT_OK; => return TC_ACT_SHOT;",
		"constant: #define ETH_P_IP 0x0800 => #define ETH_P_IP 0x07FF",
		"constant: #define ETH_P_IP 0x0800 => #define ETH_P_IP 0x0801",
		"delete: if (c->proto == bpf_htons(ETH_P_IP) && c->saddr > HDR_LIMIT) => (deleted)",
	}
	assert.ElementsMatch(t, want, got, "HDR_LIMIT (a header's macro) and the 8 inside swap16 are not mutated")
}
