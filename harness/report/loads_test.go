package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/artifacts"
	"github.com/bpflab/bpflab/harness/loadreport"
	"github.com/bpflab/bpflab/harness/probe"
)

func stateReport(release, access string, insns int) *loadreport.Report {
	return &loadreport.Report{Kernel: release, Objects: []loadreport.ObjectReport{{
		Name: "core", Programs: []loadreport.ProgramReport{{
			Name: "task_state", Loaded: true,
			Relocations: []loadreport.Relocation{{Kind: "field_exists", Access: access, Local: "1", Target: "1"}},
			Stats:       &loadreport.VerifierStats{InsnsProcessed: insns, TotalStates: 3},
		}},
	}}}
}

func TestWriteLoadReports(t *testing.T) {
	m := &Matrix{Kernels: []Kernel{
		{Name: "5.10", LoadReport: stateReport("5.10.0", "task_struct___old.state", 20),
			Probes: []byte(`{"results":[{"name":"ringbuf","min":"5.8","status":"supported"}],"disagreements":[]}`)},
		{Name: "7.2", LoadReport: stateReport("7.2.0", "task_struct___new.__state", 22),
			Probes: []byte(`{"results":[{"name":"ringbuf","min":"5.8","status":"unsupported"}],"disagreements":[{"name":"ringbuf"}]}`)},
	}}
	var buf bytes.Buffer
	require.NoError(t, WriteLoadReports(&buf, m))
	out := buf.String()
	assert.Contains(t, out, "5.10 vs 7.2: 3 differences")
	assert.Contains(t, out, "task_struct___old.state")
	assert.Regexp(t, `core/task_state\s+20 / 3\s+22 / 3`, out)
	assert.Regexp(t, `ringbuf\s+5.8\s+supported\s+unsupported\*`, out)
}

func TestCollectArtifacts(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	require.NoError(t, stateReport("6.1.0", "x", 1).WriteJSON(&buf))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loadreport-6.1.0.json"), buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "probes-6.1.0.json"), []byte("{\n \"results\": []\n}\n"), 0o644))
	k := Kernel{Name: "6.1"}
	require.NoError(t, CollectArtifacts(&k, dir))
	assert.Len(t, k.Artifacts, 2)
	require.NotNil(t, k.LoadReport)
	assert.Equal(t, "6.1.0", k.LoadReport.Kernel)
	assert.JSONEq(t, `{"results":[]}`, string(k.Probes))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "probes-bad.json"), []byte("{"), 0o644))
	err := CollectArtifacts(&Kernel{Name: "6.1"}, dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "probes-bad.json")

	require.NoError(t, CollectArtifacts(&Kernel{Name: "x"}, filepath.Join(dir, "none")))
}

// What a scenario writes with probe.WriteArtifact is what the report's
// probes table reads: one typed record on both sides.
func TestProbeArtifactRoundTrip(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(artifacts.Env, dir)
	ring := probe.Result{Name: "ringbuf", Min: "5.8", Status: probe.Unsupported, Detail: "EINVAL"}
	link := probe.Result{Name: "xdp link", Min: "5.9", Status: probe.Supported}
	path, err := probe.WriteArtifact(probe.Artifact{Kernel: "6.1.0-56-amd64", Results: []probe.Result{ring, link},
		Disagreements: []probe.Disagreement{{Result: ring, Kernel: "6.1.0-56-amd64"}}})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "probes-6.1.0-56-amd64.json"), path)

	m := &Matrix{Kernels: []Kernel{{Name: "6.1"}}}
	require.NoError(t, CollectArtifacts(&m.Kernels[0], dir))
	var buf bytes.Buffer
	require.NoError(t, WriteLoadReports(&buf, m))
	assert.Regexp(t, `ringbuf\s+5.8\s+not supported\*`, buf.String(), "a disagreement is starred")
	assert.Regexp(t, `xdp link\s+5.9\s+supported\n`, buf.String())
}
