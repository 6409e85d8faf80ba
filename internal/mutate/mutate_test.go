package mutate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a module that is not bpflab: one tiny XDP program, built by
// its own bpf2go line, and one test (testdata/xdpmod).
func fixture(t *testing.T) (root, dir string) {
	root, err := filepath.Abs(filepath.Join("testdata", "xdpmod"))
	require.NoError(t, err)
	return root, filepath.Join(root, "xdplen")
}

// needClang skips when no clang can build BPF (scripts/setup installs it).
func needClang(t *testing.T) string {
	cc := defaultCC()
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no clang-19 or clang in PATH (%v); run scripts/setup", err)
	}
	return cc
}

// pick finds the fixture's mutant by operator, line and replacement.
func pick(t *testing.T, muts []Mutant, op, line, repl string) Mutant {
	t.Helper()
	for _, m := range muts {
		if m.Operator == op && strings.TrimSpace(m.Before) == line && m.New == repl {
			return m
		}
	}
	var have []string
	for _, m := range muts {
		have = append(have, m.ID+" "+m.Operator+" "+m.Change())
	}
	t.Fatalf("no %s mutant of %q -> %q among:\n%s", op, line, repl, strings.Join(have, "\n"))
	return Mutant{}
}

func TestFixtureMutants(t *testing.T) {
	cc := needClang(t)
	root, dir := fixture(t)
	progs, muts, err := List(context.Background(), Options{Root: root, Dirs: []string{dir}, CC: cc})
	require.NoError(t, err)
	require.Len(t, progs, 1)
	assert.Equal(t, "xdplen", progs[0].Ident())
	assert.Equal(t, "xdplen/xdplen.bpf.c", progs[0].Source)

	// Every operator that has something to work on in the fixture.
	pick(t, muts, OpRelational, "if ((void *)(p + 1) > data_end)", ">=")
	pick(t, muts, OpRelational, "if (p[0] == 0xff)", "!=")
	pick(t, muts, OpRelational, "if (len < 64)", "<=")
	pick(t, muts, OpConstant, "if (len < 64)", "63")
	pick(t, muts, OpConstant, "if (len < 64)", "65")
	pick(t, muts, OpConstant, "if (p[0] == 0xff)", "0xfe")
	pick(t, muts, OpAction, "return XDP_PASS;", "XDP_DROP")
	pick(t, muts, OpField, "void *data_end = (void *)(long)ctx->data_end;", "data")
	pick(t, muts, OpDelete, "len = data_end - data;", "")
	del := pick(t, muts, OpDelete, "if ((void *)(p + 1) > data_end)", "")
	assert.Equal(t, "\tif ((void *)(p + 1) > data_end)\n\t\treturn XDP_DROP;\n", del.Old, "a deleted statement takes its whole lines")
	assert.Contains(t, del.Diff(), "-\tif ((void *)(p + 1) > data_end)\n-\t\treturn XDP_DROP;\n")

	// Nothing outside function bodies (the struct, the enum, the license).
	for _, m := range muts {
		assert.Greater(t, m.Line, 24, "%s mutates line %d, outside xdp_len", m.ID, m.Line)
		assert.True(t, strings.HasPrefix(m.ID, "xdplen-"), m.ID)
	}
}

// TestRunClassifies plants a known list of mutants in the fixture and
// checks each one's class: the test checks a 14- and a 100-byte frame
// only, so the 64-byte edge survives, a flipped verdict is killed, a
// missing bounds check is refused by the verifier, a deletion that leaves
// a variable uninitialized does not compile (-Werror) and a change to a
// redundant check compiles to the same instructions.
func TestRunClassifies(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the fixture's test runs an XDP program (BPF_PROG_TEST_RUN): needs root")
	}
	cc := needClang(t)
	root, dir := fixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o := Options{Root: root, Dirs: []string{dir}, CC: cc, Packages: []string{"./xdplen"}, Jobs: 2, Timeout: 3 * time.Minute}
	_, muts, err := List(ctx, o)
	require.NoError(t, err)
	want := map[string]Status{
		pick(t, muts, OpRelational, "if (len < 64)", "<=").ID:             Survived,
		pick(t, muts, OpAction, "return XDP_PASS;", "XDP_DROP").ID:        Killed,
		pick(t, muts, OpRelational, "if (p[0] == 0xff)", "!=").ID:         Killed,
		pick(t, muts, OpDelete, "if ((void *)(p + 1) > data_end)", "").ID: Verifier,
		pick(t, muts, OpDelete, "len = data_end - data;", "").ID:          BuildFail,
		pick(t, muts, OpConstant, "if (len < 14)", "15").ID:               Equivalent,
	}
	for id := range want {
		o.Only = append(o.Only, id)
	}
	var log strings.Builder
	o.Log = &log
	rep, err := Run(ctx, o)
	require.NoError(t, err, "log:\n%s", log.String())
	require.Len(t, rep.Results, len(want))
	for _, r := range rep.Results {
		out := r.Outcome(HostKernel)
		assert.Equal(t, want[r.ID], out.Status, "%s (%s): %s", r.ID, r.Change(), out.Detail)
		if out.Status == Killed {
			assert.Contains(t, out.KilledBy, "xdpmod/xdplen.TestLen")
		}
	}
	require.Len(t, rep.Scores, 1)
	s := rep.Scores[0]
	assert.Equal(t, Score{Program: "xdplen", Kernel: HostKernel, Mutants: 6, Killed: 2, Verifier: 1, Survived: 1, Build: 1, Equivalent: 1, Percent: 75}, s)

	var out strings.Builder
	rep.WriteTable(&out)
	surv := pick(t, muts, OpRelational, "if (len < 64)", "<=")
	assert.Contains(t, out.String(), surv.ID+" (relational) survived on host")
	assert.Contains(t, out.String(), "-\tif (len < 64)\n+\tif (len <= 64)\n")
	assert.Contains(t, out.String(), "rerun: bpflab mutate --only "+surv.ID+" --kernels host --pkg ./xdplen "+dir)
}

// A baseline where nothing passes (here: a -run that matches nothing)
// stops the run: no mutant could be killed.
func TestRunRefusesDeadBaseline(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the fixture's test runs an XDP program (BPF_PROG_TEST_RUN): needs root")
	}
	cc := needClang(t)
	root, dir := fixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := Run(ctx, Options{Root: root, Dirs: []string{dir}, CC: cc, Packages: []string{"./xdplen"},
		Run: "^TestNothingMatches$", Only: []string{"xdplen-001"}, Timeout: 2 * time.Minute})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no test of ./xdplen passes without mutants")
}
