package anyproject

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFixtureObjectMatchesSource rebuilds the external module's object with
// the pinned clang (the command in counter.bpf.c) and compares it byte for
// byte with the committed one, so the fixture cannot drift from its source.
func TestFixtureObjectMatchesSource(t *testing.T) {
	cc, err := exec.LookPath("clang-19")
	if err != nil {
		t.Skipf("clang-19 not in PATH (objects are reproducible only with the pinned compiler): %v; run scripts/setup", err)
	}
	ver, err := exec.Command(cc, "--version").Output()
	require.NoError(t, err)
	if !strings.Contains(string(ver), "clang version 19.") {
		t.Skipf("%s is not clang 19: %s", cc, ver)
	}
	dir := filepath.Join("testdata", "extmod")
	out := filepath.Join(t.TempDir(), "counter.bpf.o")
	// The same command as in counter.bpf.c, plus the multiarch include dir
	// Debian keeps asm/ headers in.
	cmd := exec.Command(cc, "-O2", "-g", "-target", "bpf", "-fdebug-compilation-dir=.", "-I/usr/include/x86_64-linux-gnu", "-c", "counter.bpf.c", "-o", out)
	cmd.Dir = dir
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, string(msg))
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(dir, "testdata", "counter.bpf.o"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, want), "testdata/extmod/testdata/counter.bpf.o is stale: rebuild it with the command in counter.bpf.c")
}
