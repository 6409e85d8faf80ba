package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, sampleMatrix()))
	out := buf.String()
	lines := strings.Split(out, "\n")
	// Rows grouped by package (sorted), columns aligned under the kernels.
	assert.Equal(t, []string{
		"TEST              host  5.10  6.1",
		"scenarios/execve",
		"  TestCount       pass  pass  ERR",
		"scenarios/xdp",
		"  TestDrop        pass  FAIL  ERR",
		"  TestDrop/ipv6   pass  skip  ERR",
		"",
		"Kernels:",
	}, lines[:8])
	for _, want := range []string{
		"Skipped:\n  5.10 scenarios/xdp TestDrop/ipv6: BPF_LINK for XDP needs 5.9",
		"Failures:\n  5.10 scenarios/xdp TestDrop: got XDP_PASS, want XDP_DROP\n" +
			"    repro: bpflab matrix --kernels 5.10 --backend vng --pkg scenarios/xdp --run '^TestDrop$'",
		"  6.1 (phase boot): boot: no results after 60s\n    console: work/6.1/console.log\n    console tail:\n" +
			"      | Probing EDD\n      | Kernel panic - not syncing\n    repro: bpflab matrix --kernels 6.1 --backend vng",
		"FAIL: 3 kernels in 30.0s",
	} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `5\.10\s+5\.10\.0-46-amd64\s+5\.10\.262-1\s+vng/tcg\s+25\.0s\s+boot 20\.0s, test 5\.0s\s+1 pass, 1 fail, 1 skip`, out)
}

func TestWriteTableAllPass(t *testing.T) {
	m := sampleMatrix()
	m.Kernels = m.Kernels[:1]
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, m))
	assert.Contains(t, buf.String(), "PASS: 1 kernels")
	assert.NotContains(t, buf.String(), "Failures:")
	assert.False(t, m.Failed())
}

func TestRepro(t *testing.T) {
	tests := []struct {
		name, backend, kernel, pkg, test, want string
	}{
		{"default backend", "qemu", "6.1", "scenarios/xdp", "TestX", "bpflab matrix --kernels 6.1 --pkg scenarios/xdp --run '^TestX$'"},
		{"other backend", "vng", "6.1", "scenarios/xdp", "TestX", "bpflab matrix --kernels 6.1 --backend vng --pkg scenarios/xdp --run '^TestX$'"},
		{"host ignores backend", "vng", "host", "scenarios/xdp", "TestX", "bpflab matrix --kernels host --pkg scenarios/xdp --run '^TestX$'"},
		{"subtest with regex chars", "qemu", "5.10", "scenarios/policy", "TestA/v4.(x)", "bpflab matrix --kernels 5.10 --pkg scenarios/policy --run '^TestA$/^v4\\.\\(x\\)$'"},
		{"whole binary", "qemu", "5.10", "scenarios/policy", BinaryTest, "bpflab matrix --kernels 5.10 --pkg scenarios/policy"},
		{"build failure", "qemu", "5.10", "scenarios/policy", BuildTest, "bpflab matrix --kernels 5.10 --pkg scenarios/policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Matrix{Backend: tt.backend, DefaultBackend: "qemu"}
			assert.Equal(t, tt.want, Repro(m, tt.kernel, tt.pkg, tt.test))
		})
	}
}

func TestTableShowsCached(t *testing.T) {
	m := &Matrix{Kernels: []Kernel{{Name: "6.1", Backend: "qemu", Tests: []Test{
		{Package: "scenarios/xdp", Name: "TestA", Status: Pass, Cached: true},
		{Package: "scenarios/xdp", Name: "TestB", Status: Pass},
		{Package: "scenarios/xdp", Name: "TestC", Status: Skip, Cached: true, Reason: "no ring buffer"},
	}}}}
	var b strings.Builder
	require.NoError(t, WriteTable(&b, m))
	out := b.String()
	assert.Regexp(t, `(?m)^  TestA\s+pass \(cached\)$`, out)
	assert.Regexp(t, `(?m)^  TestB\s+pass$`, out)
	assert.Regexp(t, `(?m)^  TestC\s+skip \(cached\)$`, out)
	assert.Contains(t, out, "2 pass, 0 fail, 1 skip (2 cached)")
}
