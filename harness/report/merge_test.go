package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shardFiles writes each kernel of m as its own single-kernel JSON file,
// as N machines running one kernel each would.
func shardFiles(t *testing.T, m *Matrix) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for _, k := range m.Kernels {
		one := *m
		one.Kernels = []Kernel{k}
		var buf bytes.Buffer
		require.NoError(t, WriteJSON(&buf, &one))
		p := filepath.Join(dir, "results-"+k.Name+".json")
		require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
		files = append(files, p)
	}
	return files
}

func readAll(t *testing.T, files []string) []*Matrix {
	var ms []*Matrix
	for _, f := range files {
		m, err := ReadFile(f)
		require.NoError(t, err)
		ms = append(ms, m)
	}
	return ms
}

var junitTime = regexp.MustCompile(`time="[0-9.]+"`)

func TestMergeEqualsOneRun(t *testing.T) {
	whole := sampleMatrix()
	whole.Kernels = whole.Kernels[:2] // host and 5.10
	files := shardFiles(t, whole)
	// Inputs given in the other order: the manifest order wins.
	merged, err := Merge([]string{files[1], files[0]}, readAll(t, []string{files[1], files[0]}), []string{"host", "5.10"})
	require.NoError(t, err)
	merged.DefaultBackend = whole.DefaultBackend // not in JSON: the CLI sets it

	// Round-trip the whole run through JSON too, so both sides are what a
	// file holds.
	var wj bytes.Buffer
	require.NoError(t, WriteJSON(&wj, whole))
	wf := filepath.Join(t.TempDir(), "whole.json")
	require.NoError(t, os.WriteFile(wf, wj.Bytes(), 0o644))
	one := readAll(t, []string{wf})[0]
	one.DefaultBackend = whole.DefaultBackend

	var a, b bytes.Buffer
	require.NoError(t, WriteTable(&a, one))
	require.NoError(t, WriteTable(&b, merged))
	assert.Equal(t, a.String(), b.String())

	a.Reset()
	b.Reset()
	require.NoError(t, WriteJUnit(&a, one))
	require.NoError(t, WriteJUnit(&b, merged))
	assert.Equal(t, junitTime.ReplaceAllString(a.String(), `time=""`), junitTime.ReplaceAllString(b.String(), `time=""`))
	assert.Equal(t, []string{"5.10"}, merged.FailedKernels())
}

func TestMergeRejectsDuplicateKernel(t *testing.T) {
	m := sampleMatrix()
	files := shardFiles(t, m)
	in := []string{files[0], files[1], files[0]}
	_, err := Merge(in, readAll(t, in), nil)
	var dup *DuplicateKernelError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, "host", dup.Kernel)
	assert.Contains(t, err.Error(), "kernel host appears in both")
}

func TestReadFileRejectsOtherJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"foo": 1}`), 0o644))
	_, err := ReadFile(p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a bpflab matrix JSON file")
}

func TestWriteMarkdown(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteMarkdown(&buf, sampleMatrix()))
	md := buf.String()
	assert.Contains(t, md, "## bpflab matrix: FAIL (kernels: 5.10, 6.1)")
	assert.Contains(t, md, "| scenarios/xdp TestDrop | pass | **FAIL** | **ERR** |")
	assert.Contains(t, md, "bpflab matrix --kernels 5.10 --backend vng --pkg scenarios/xdp --run '^TestDrop$'")
	assert.Contains(t, md, "**6.1** did not complete (phase boot)")
}
