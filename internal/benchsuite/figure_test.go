package benchsuite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
)

func TestNewFigure(t *testing.T) {
	// Paired per round: ratios 2, 3, 4 (not medians of each side).
	f, err := NewFigure("fw", "firewall", "noop", "ns", []float64{60, 90, 160}, []float64{30, 30, 40})
	require.NoError(t, err)
	assert.Equal(t, [3]float64{2, 3, 4}, [3]float64{f.Min, f.Median, f.Max})
	assert.Equal(t, 90.0, f.SubjectMedian)
	assert.Equal(t, 30.0, f.BaselineMedian)
	assert.Equal(t, 3, f.Rounds)

	_, err = NewFigure("fw", "a", "b", "ns", []float64{1}, []float64{1, 2})
	assert.ErrorContains(t, err, "1 subject and 2 baseline")
	_, err = NewFigure("fw", "a", "b", "ns", []float64{1}, []float64{0})
	assert.ErrorContains(t, err, "baseline sample 0 is 0")
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
}

// TestAddCollectTable: figures written by two benchmarks (one file, read
// and appended) come back per kernel from the matrix's artifacts, TCG
// columns are labelled emulated, and failures are listed.
func TestAddCollectTable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvArtifacts, dir)
	f1, err := NewFigure("firewall v4 1M hit", "firewall", "no-op XDP", "ns/frame", []float64{66, 70}, []float64{30, 28})
	require.NoError(t, err)
	f2, err := NewFigure("tracer", "traced", "untraced", "ms", []float64{11}, []float64{10})
	require.NoError(t, err)
	require.NoError(t, Add("5.10.0-35-amd64", f1))
	require.NoError(t, Add("5.10.0-35-amd64", f2))
	path := filepath.Join(dir, ArtifactName("5.10.0-35-amd64"))
	require.FileExists(t, path)

	m := &report.Matrix{Kernels: []report.Kernel{
		{Name: "5.10", Accel: "tcg", Artifacts: []string{path, filepath.Join(dir, "loadreport-x.json")}},
		{Name: "host", Accel: "host", Tests: []report.Test{{Name: "BenchmarkTracer", Status: report.Fail, Reason: "boom"}}},
	}}
	sheets, err := Collect(m)
	require.NoError(t, err)
	require.Len(t, sheets, 2)
	assert.True(t, sheets[0].Emulated)
	require.Len(t, sheets[0].Figures, 2)
	assert.Equal(t, "tracer", sheets[0].Figures[1].Name)
	assert.False(t, sheets[1].Emulated)
	assert.Equal(t, []string{"BenchmarkTracer: boom"}, sheets[1].Errors)

	var b strings.Builder
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	require.NoError(t, Report(&b, m, jsonPath))
	out := b.String()
	assert.Contains(t, out, "5.10 (TCG, emulated)")
	assert.Regexp(t, `firewall v4 1M hit\s+2\.\d\dx \[2\.20-2\.50\]\s+-`, out)
	assert.Contains(t, out, "host FAILED BenchmarkTracer: boom")
	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"emulated": true`)
}
