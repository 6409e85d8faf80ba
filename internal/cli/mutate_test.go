package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `bpflab mutate` refuses bad input with exit 2 before building anything.
func TestMutateBadInput(t *testing.T) {
	empty := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(empty, "x.go"), []byte("package x\n"), 0o644))
	junk := filepath.Join(empty, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte(`[1,2]`), 0o644))
	for _, c := range []struct {
		name string
		args []string
	}{
		{"no directory", []string{"mutate"}},
		{"missing directory", []string{"mutate", filepath.Join(empty, "nope")}},
		{"no bpf2go line", []string{"mutate", empty}},
		{"zero jobs", []string{"mutate", "-j", "0", "../../bpf/firewall"}},
		{"score over 100", []string{"mutate", "--min-score", "101", "../../bpf/firewall"}},
		{"bad backend", []string{"mutate", "--backend", "kvm", "../../bpf/firewall"}},
		{"baseline not a report", []string{"mutate", "--baseline", junk, "../../bpf/firewall"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := run(t, c.args...)
			assert.Equal(t, 2, code, "stderr: %s", errs)
			assert.Contains(t, errs, "bpflab mutate: ")
			assert.Empty(t, out, "nothing mutated")
		})
	}
}
