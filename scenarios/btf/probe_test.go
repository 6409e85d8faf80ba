package btf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
)

// TestFeatureProbes probes every feature, lists the results, checks them
// against the documented minimum versions and fails on a disagreement
// nothing explains. Results go to $BPFLAB_ARTIFACTS for the matrix.
func TestFeatureProbes(t *testing.T) {
	testenv.Setup(t)
	v, rel, err := probe.KernelVersion()
	require.NoError(t, err)
	results := probe.New().All()
	require.Len(t, results, len(probe.All()))
	for _, r := range results {
		min := r.Min
		if min == "" {
			min = "-"
		}
		t.Logf("%-36s min %-5s %-13s %s", r.Name, min, r.Status, r.Detail)
		assert.NotEqual(t, probe.Unknown, r.Status, "probe %s could not tell: %s", r.Name, r.Detail)
	}
	ds := probe.Check(results, v)
	for _, d := range ds {
		if d.Unexplained() {
			t.Errorf("kernel %s: %s", rel, d)
		} else {
			t.Logf("kernel %s: %s", rel, d)
		}
	}

	path, err := probe.WriteArtifact(probe.Artifact{Kernel: rel, Results: results, Disagreements: ds})
	require.NoError(t, err)
	if path != "" {
		t.Logf("probe results written to %s", path)
	}
}

// TestSkipStatesTheProbe checks the skip helper against the probe on this
// kernel: a feature it lacks is skipped with the probe's answer in the
// message (or fails where the kernel is at or above the documented
// minimum), and a feature it has never skips.
func TestSkipStatesTheProbe(t *testing.T) {
	testenv.Setup(t)
	p := probe.New()
	for _, f := range probe.All() {
		r := p.Probe(f)
		if r.Status == probe.Unsupported {
			t.Run(f.String(), func(t *testing.T) {
				probe.Skip(t, f)
				t.Fatalf("probe.Skip did not skip although %s", r)
			})
			continue
		}
		if r.Status != probe.Supported {
			continue // inconclusive: TestFeatureProbes reports it
		}
		ran := false
		t.Run(f.String(), func(t *testing.T) {
			probe.Skip(t, f)
			ran = true
		})
		assert.True(t, ran, "probe.Skip skipped %s although the probe said %s", f, r)
	}
}
