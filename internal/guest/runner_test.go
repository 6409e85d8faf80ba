package guest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/uname"
)

// TestProcessModeReport runs the runner the way the virtme-ng backend does
// (not PID 1, report into a results dir) against /bin/sh on the host.
func TestProcessModeReport(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the runner mounts bpffs/tracefs if missing, which needs root")
	}
	sh, err := os.Stat("/bin/sh")
	if err != nil || sh.IsDir() {
		t.Skipf("no /bin/sh to run: %v", err)
	}
	dir := t.TempDir()
	spec := Spec{
		Binaries: []Binary{
			{Name: "ok", Path: "/bin/sh", Args: []string{"-c", "echo out; echo err >&2"}},
			{Name: "exit3", Path: "/bin/sh", Args: []string{"-c", "exit 3"}},
			{Name: "killed", Path: "/bin/sh", Args: []string{"-c", "kill -9 $$"}},
			{Name: "env", Path: "/bin/sh", Args: []string{"-c", `test "$FOO" = bar`}},
			{Name: "missing", Path: filepath.Join(dir, "nope")},
		},
		Env:        []string{"FOO=bar"},
		ResultsDir: dir,
		Console:    os.DevNull,
	}
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	specPath := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(specPath, data, 0o644))

	require.Equal(t, 0, Main([]string{"--spec", specPath}))
	rep, err := ReadReport(dir)
	require.NoError(t, err)
	assert.True(t, rep.Done)
	assert.Empty(t, rep.Err)
	rel, err := uname.Release()
	require.NoError(t, err)
	assert.Equal(t, rel, rep.Release)
	require.Len(t, rep.Results, 5)
	want := map[string]int{"ok": 0, "exit3": 3, "killed": 137, "env": 0, "missing": -1}
	for _, r := range rep.Results {
		assert.Equal(t, want[r.Name], r.ExitCode, r.Name)
	}
	assert.Equal(t, "out\nerr\n", string(rep.Results[0].Output))
	assert.Contains(t, rep.Results[2].Err, "signal")
	assert.Contains(t, rep.Results[4].Err, "nope")
}

func TestModuleLoadFailureIsReported(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	bogus := filepath.Join(dir, "bogus.ko")
	require.NoError(t, os.WriteFile(bogus, []byte("not a module"), 0o644))
	spec := Spec{Binaries: []Binary{{Name: "never", Path: "/bin/true"}}, Modules: []string{bogus}, ResultsDir: dir, Console: os.DevNull}
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	specPath := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(specPath, data, 0o644))

	assert.Equal(t, 1, Main([]string{"--spec", specPath}))
	rep, err := ReadReport(dir)
	require.NoError(t, err)
	assert.Equal(t, "modules", rep.Stage)
	assert.Contains(t, rep.Err, "bogus.ko")
	assert.Empty(t, rep.Results, "no binary runs after a failed module load")
}

func TestSpecValidation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"binaries":[]}`), 0o644))
	_, err := ReadSpec(p)
	assert.ErrorContains(t, err, "lists no binaries")
	require.NoError(t, os.WriteFile(p, []byte(`{`), 0o644))
	_, err = ReadSpec(p)
	assert.ErrorContains(t, err, "parse spec")
	assert.Equal(t, 2, Main(nil), "no --spec outside PID 1 is a usage error")
}

// TestDirAndCoverEnv: a binary runs in its Dir (created if missing, as a
// package dir is in a guest), and BPFLAB_COVER=1 points GOCOVERDIR at the
// artifacts dir, so coverage files come back with the artifacts.
func TestDirAndCoverEnv(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the runner mounts bpffs/tracefs if missing, which needs root")
	}
	dir := t.TempDir()
	pkgDir := filepath.Join(dir, "src", "pkg")
	arts := filepath.Join(dir, "arts")
	// sh -c SCRIPT NAME ARG: the runner's -test.gocoverdir lands in $1.
	script := `test "$(pwd)" = "` + pkgDir + `" && test "$GOCOVERDIR" = "` + arts + `" && test "$1" = "-test.gocoverdir=` + arts + `" && echo cov > "$GOCOVERDIR/covcounters.x"`
	spec := Spec{
		Binaries:     []Binary{{Name: "sh", Path: "/bin/sh", Args: []string{"-c", script, "sh"}, Dir: pkgDir}, {Name: "plain", Path: "/bin/sh", Args: []string{"-c", `test "$(pwd)" = /tmp`}}},
		Env:          []string{EnvCover + "=1"},
		ResultsDir:   dir,
		ArtifactsDir: arts,
		Console:      os.DevNull,
	}
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	specPath := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(specPath, data, 0o644))
	require.Equal(t, 0, Main([]string{"--spec", specPath}))
	rep, err := ReadReport(dir)
	require.NoError(t, err)
	require.Len(t, rep.Results, 2)
	assert.Equal(t, 0, rep.Results[0].ExitCode, string(rep.Results[0].Output))
	assert.Equal(t, 0, rep.Results[1].ExitCode, "no Dir: the temp dir")
	assert.Equal(t, "cov\n", string(rep.Artifacts["covcounters.x"]))
}
