package loadreport

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/artifacts"
)

var failLog = []string{
	"0: R1=ctx() R10=fp0",
	"; int f(struct xdp_md *ctx) @ f.bpf.c:16",
	"0: (b7) r0 = 1                        ; R0=1",
	"3: (69) r1 = *(u16 *)(r3 +12)",
	"invalid access to packet, off=12 size=2, R3(id=0,off=12,r=0)",
	"R3 offset is outside of the packet",
	"processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
}

func TestOffendingIsLastInstructionBeforeError(t *testing.T) {
	i, ok := Offending(failLog)
	require.True(t, ok)
	assert.Equal(t, 3, i)
	_, ok = Offending([]string{"invalid argument", "processed 0 insns"})
	assert.False(t, ok, "a log without instructions has no offending instruction")
}

func TestParseStats(t *testing.T) {
	st := ParseStats("foo\nprocessed 508 insns (limit 1000000) max_states_per_insn 2 total_states 40 peak_states 39 mark_read 7\n")
	assert.Equal(t, VerifierStats{InsnsProcessed: 508, MaxStatesPerInsn: 2, TotalStates: 40, PeakStates: 39, MarkRead: 7,
		Raw: "processed 508 insns (limit 1000000) max_states_per_insn 2 total_states 40 peak_states 39 mark_read 7"}, *st)
	assert.Equal(t, -1, ParseStats("no stats here").InsnsProcessed)
}

// report builds a two-program report; the task relocation and the stats
// are the parts kernels disagree on.
func report(kernel string, newState bool, insns int) Report {
	exists, newOff, oldOff := "1", "24", "missing"
	if !newState {
		exists, newOff, oldOff = "0 (missing)", "missing", "16"
	}
	return Report{Kernel: kernel, Objects: []ObjectReport{{Name: "core", Programs: []ProgramReport{{
		Name: "task_state", Type: "TracePoint", Loaded: true,
		Relocations: []Relocation{
			{Kind: "field_exists", Access: "task_struct___new.__state", Target: exists, Missing: !newState},
			{Kind: "byte_off", Access: "task_struct___new.__state", Target: newOff, Missing: !newState},
			{Kind: "byte_off", Access: "task_struct___old.state", Target: oldOff, Missing: newState},
			{Kind: "byte_off", Access: "task_struct___new.tgid", Target: "1268"},
			{Kind: "byte_off", Access: "task_struct___new.tgid", Target: "1268"},
		},
		Stats: &VerifierStats{InsnsProcessed: insns, TotalStates: 4, PeakStates: 4},
	}}}}}
}

func TestDiff(t *testing.T) {
	a := report("5.10.0", false, 57)
	b := report("6.18.0", true, 57)
	assert.Empty(t, Diff(a, a), "a report equals itself")
	assert.Equal(t, []Difference{
		{Category: CategoryRelocation, Object: "core", Program: "task_state", Item: "field_exists task_struct___new.__state", A: "0 (missing)", B: "1"},
		{Category: CategoryRelocation, Object: "core", Program: "task_state", Item: "byte_off task_struct___new.__state", A: "missing", B: "24"},
		{Category: CategoryRelocation, Object: "core", Program: "task_state", Item: "byte_off task_struct___old.state", A: "16", B: "missing"},
	}, Diff(a, b))

	c := report("6.18.0", true, 60)
	c.Objects[0].Programs[0].Relocations[4].Target = "1300"
	c.Objects[0].Programs = append(c.Objects[0].Programs, ProgramReport{Name: "extra"})
	c.Objects = append(c.Objects, ObjectReport{Name: "firewall"})
	assert.Equal(t, []Difference{
		{Category: CategoryRelocation, Object: "core", Program: "task_state", Item: "byte_off task_struct___new.tgid#1", A: "1268", B: "1300"},
		{Category: CategoryStats, Object: "core", Program: "task_state", Item: "insns processed", A: "57", B: "60"},
		{Category: CategoryPresence, Object: "core", Program: "extra", Item: "program", A: "absent", B: "present"},
		{Category: CategoryPresence, Object: "firewall", Item: "object", A: "absent", B: "present"},
	}, Diff(b, c))

	failed := report("6.18.0", true, 57)
	p := &failed.Objects[0].Programs[0]
	p.Loaded, p.Error, p.Offending = false, "verifier rejected", "3: (69) r1 = *(u16 *)(r3 +12)"
	d := Diff(b, failed)
	require.Len(t, d, 3, "loaded, error, offending instruction: %v", d)
	assert.Equal(t, "core/task_state: loaded: true -> false", d[0].String())
	assert.Equal(t, "offending instruction", d[2].Item)
	assert.Equal(t, CategoryLoad, d[2].Category)

	// A kernel that does not report verified insns (before 5.16).
	old := report("5.10.0", true, 57)
	newer := report("6.1.0", true, 57)
	newer.Objects[0].Programs[0].Stats.VerifiedInsns = 57
	assert.Equal(t, []Difference{{Category: CategoryStats, Object: "core", Program: "task_state",
		Item: "verified insns", A: "n/a", B: "57"}}, Diff(old, newer))
}

func TestJSONRoundTripAndArtifact(t *testing.T) {
	r := report("6.18.44-test", true, 57)
	var buf bytes.Buffer
	require.NoError(t, r.WriteJSON(&buf))
	back, err := ReadJSON(&buf)
	require.NoError(t, err)
	assert.Equal(t, r, back)

	dir := t.TempDir()
	t.Setenv(artifacts.Env, dir)
	path, err := WriteArtifact(r)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "loadreport-6.18.44-test.json"), path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"access": "task_struct___old.state"`)

	t.Setenv(artifacts.Env, "")
	path, err = WriteArtifact(r)
	require.NoError(t, err)
	assert.Empty(t, path, "no artifact without "+artifacts.Env)
}

func TestTextMarksOffendingInstruction(t *testing.T) {
	r := report("6.18.0", true, 4)
	p := &r.Objects[0].Programs[0]
	p.Loaded, p.Error, p.VerifierLog, p.Offending, p.OffendingLine = false, "verifier rejected", failLog, failLog[3], 3
	txt := r.Text()
	assert.Contains(t, txt, ">>> 3: (69) r1 = *(u16 *)(r3 +12)")
	assert.Contains(t, txt, "1 failed")
	assert.Contains(t, r.Summary(), "(failed: core/task_state)")
}
