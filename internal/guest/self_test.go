package guest

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/initramfs"
)

// TestRunnerBinaryRebuildsWhenNotBpflab: this test binary is not bpflab, so
// the runner is built (static, from the current module) into the cache
// once, and found there the second time.
func TestRunnerBinaryRebuildsWhenNotBpflab(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bpflab")
	}
	t.Setenv(EnvBinary, "")
	cache := t.TempDir()
	var log bytes.Buffer
	p, err := RunnerBinary(context.Background(), cache, &log)
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(p) && filepath.Dir(filepath.Dir(filepath.Dir(p))) == cache, p)
	require.NoError(t, initramfs.CheckStatic(p))
	bi, err := buildinfo.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, mainPackage, bi.Path)
	assert.Contains(t, log.String(), "building it once")

	// The rebuilt bpflab is the runner as `bpflab guest` (how vng runs it).
	out, err := exec.Command(p, Subcommand).CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), "--spec is required when not running as PID 1")
	dir := t.TempDir()
	spec, err := json.Marshal(Spec{Binaries: []Binary{{Name: "true", Path: "/bin/sh", Args: []string{"-c", "exit 4"}}}, ResultsDir: dir, Console: os.DevNull})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spec.json"), spec, 0o644))
	if os.Geteuid() == 0 { // the runner mounts bpffs/tracefs if missing
		out, err = exec.Command(p, Subcommand, "--spec", filepath.Join(dir, "spec.json")).CombinedOutput()
		require.NoError(t, err, string(out))
		rep, err := ReadReport(dir)
		require.NoError(t, err)
		require.Len(t, rep.Results, 1)
		assert.Equal(t, 4, rep.Results[0].ExitCode)
	}

	log.Reset()
	again, err := RunnerBinary(context.Background(), cache, &log)
	require.NoError(t, err)
	assert.Equal(t, p, again)
	assert.Empty(t, log.String(), "the cached runner is reused")
}

func TestRunnerBinaryFromEnv(t *testing.T) {
	dynamic := filepath.Join(t.TempDir(), "dyn")
	// An ELF with an interpreter is refused with the reason.
	self, err := os.Executable()
	require.NoError(t, err)
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dynamic, data, 0o755))
	t.Setenv(EnvBinary, dynamic)
	p, err := RunnerBinary(context.Background(), t.TempDir(), nil)
	if initramfs.CheckStatic(self) == nil {
		require.NoError(t, err)
		assert.Equal(t, dynamic, p, "$BPFLAB_GUEST_BINARY wins")
	} else {
		assert.ErrorContains(t, err, EnvBinary)
	}
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "missing"))
	_, err = RunnerBinary(context.Background(), t.TempDir(), nil)
	assert.ErrorContains(t, err, "missing")
}
