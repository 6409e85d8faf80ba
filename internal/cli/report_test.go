package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeResults(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

const (
	okKernel   = `{"backend":"qemu","seconds":1,"kernels":[{"name":"6.1","backend":"qemu","seconds":1,"tests":[{"package":"scenarios/x","name":"TestA","status":"pass","seconds":0.1}]}]}`
	failKernel = `{"backend":"qemu","seconds":2,"kernels":[{"name":"7.x","backend":"qemu","seconds":2,"tests":[{"package":"scenarios/x","name":"TestA","status":"fail","reason":"want 1, got 0","seconds":0.1}]}]}`
)

// `bpflab report merge`: exit 0 when all passed, 1 when a kernel failed,
// 2 on bad input (duplicate kernels, not a results file), and the files
// are written only for a good merge.
func TestReportMergeExitStatus(t *testing.T) {
	dir := t.TempDir()
	ok := writeResults(t, dir, "ok.json", okKernel)
	bad := writeResults(t, dir, "fail.json", failKernel)
	junk := writeResults(t, dir, "junk.json", `{"x":1}`)
	md := filepath.Join(dir, "out", "summary.md")

	assert.Equal(t, 0, realMain([]string{"report", "merge", ok, "--manifest", filepath.Join(dir, "none")}))
	assert.Equal(t, 1, realMain([]string{"report", "merge", ok, "--markdown", md, bad}), "flags between files")
	data, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "## bpflab matrix: FAIL (kernels: 7.x)"), string(data))

	require.NoError(t, os.Remove(md))
	assert.Equal(t, 2, realMain([]string{"report", "merge", ok, ok, "--markdown", md}), "duplicate kernel")
	assert.Equal(t, 2, realMain([]string{"report", "merge", junk, "--markdown", md}))
	assert.Equal(t, 2, realMain([]string{"report", "merge"}))
	assert.NoFileExists(t, md, "nothing is written on bad input")

	// Baseline: 7.x passed before and fails now: a regression.
	base := writeResults(t, dir, "base.json", strings.Replace(failKernel, `"fail"`, `"pass"`, 1))
	assert.Equal(t, 0, realMain([]string{"report", "merge", ok, "--baseline", base}), "a kernel absent now (another shard) is no regression")
	assert.Equal(t, 1, realMain([]string{"report", "merge", ok, bad, "--baseline", base}))
	assert.Equal(t, 2, realMain([]string{"report", "merge", ok, "--baseline", junk}))
}

func TestNaturalCompare(t *testing.T) {
	names := []string{"host", "7.x", "6.12", "5.10", "6.1", "10.1"}
	slices.SortFunc(names, naturalCompare)
	assert.Equal(t, []string{"5.10", "6.1", "6.12", "7.x", "10.1", "host"}, names)
}
