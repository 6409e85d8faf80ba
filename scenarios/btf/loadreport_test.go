package btf_test

import (
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/core"
	"github.com/bpflab/bpflab/harness/loadreport"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
)

// TestLoadReport builds the load report of every bpflab object on this
// kernel, checks it is complete, and leaves it for the matrix.
func TestLoadReport(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.KernelBTF)
	probe.Skip(t, probe.Tracepoint)
	objs := loadreport.Bpflab()
	r, err := loadreport.Build(objs)
	require.NoError(t, err)
	require.Len(t, r.Objects, len(objs), "one entry per object")

	for _, o := range r.Objects {
		assert.Empty(t, o.Error, "object %s", o.Name)
		assert.NotEmpty(t, o.Programs, "object %s has no programs", o.Name)
		for _, p := range o.Programs {
			if !assert.True(t, p.Loaded, "%s/%s did not load: %s\n%s", o.Name, p.Name, p.Error, p.MarkedLog("  ")) {
				continue
			}
			if assert.NotNil(t, p.Stats, "%s/%s has no verifier statistics", o.Name, p.Name) {
				assert.Positive(t, p.Stats.InsnsProcessed, "%s/%s: %q", o.Name, p.Name, p.Stats.Raw)
			}
			for _, rl := range p.Relocations {
				assert.NotEmpty(t, rl.Target, "%s/%s insn %d %s %s unresolved", o.Name, p.Name, rl.Insn, rl.Kind, rl.Access)
			}
		}
	}

	// The task-state relocations must resolve to this kernel's field.
	kernel, err := btf.LoadKernelSpec()
	require.NoError(t, err)
	field, err := core.KernelField(kernel)
	require.NoError(t, err)
	p, ok := r.Program(loadreport.ObjectCore, "task_state")
	require.True(t, ok, "core/task_state missing from the report")
	exists, ok := p.Relocation("field_exists", "task_struct___new.__state")
	require.True(t, ok, "no field_exists relocation for task_struct___new.__state: %+v", p.Relocations)
	newOff, ok := p.Relocation("byte_off", "task_struct___new.__state")
	require.True(t, ok)
	oldOff, ok := p.Relocation("byte_off", "task_struct___old.state")
	require.True(t, ok)
	switch field {
	case core.FieldStateNew:
		assert.Equal(t, "1", exists.Target)
		assert.False(t, newOff.Missing, "__state offset on a kernel that has it")
		assert.True(t, oldOff.Missing, "old state offset on a kernel without it")
	case core.FieldStateOld:
		assert.True(t, exists.Missing, "field_exists(__state) on a kernel without it: %s", exists.Target)
		assert.True(t, newOff.Missing)
		assert.False(t, oldOff.Missing, "state offset on a kernel that has it")
	default:
		t.Fatalf("kernel field %s", field)
	}

	path, err := loadreport.WriteArtifact(r)
	require.NoError(t, err)
	if path != "" {
		t.Logf("load report written to %s", path)
	}
	t.Log(r.Summary())
	if testing.Verbose() {
		t.Log("\n" + r.Text())
	}
}
