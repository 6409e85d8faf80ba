package initramfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestToolClosureOfADynamicExecutable(t *testing.T) {
	// Any dynamically linked host program will do; Debian always has ls.
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Skipf("no ls on PATH: %v", err)
	}
	ls, err = filepath.Abs(ls)
	require.NoError(t, err)
	paths, err := ToolClosure(ls)
	require.NoError(t, err)
	require.Equal(t, ls, paths[0], "the tool itself comes first")
	var libc bool
	for _, p := range paths {
		require.True(t, filepath.IsAbs(p), p)
		_, err := os.Stat(p)
		require.NoError(t, err)
		if filepath.Base(p) == "libc.so.6" {
			libc = true
		}
	}
	require.True(t, libc, "ls needs libc.so.6; closure %v", paths)
	require.GreaterOrEqual(t, len(paths), 3, "ls, the loader and libc at least: %v", paths)
}

func TestToolClosureErrors(t *testing.T) {
	_, err := ToolClosure("relative/tool")
	require.ErrorContains(t, err, "absolute path")
	_, err = ToolClosure("/nonexistent/bpflab-tool")
	require.ErrorContains(t, err, "/nonexistent/bpflab-tool")
}

func TestLibrarySearchPathFollowsIncludes(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ld.so.conf"), []byte("include conf.d/*.conf\n/opt/a # comment\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "conf.d", "x.conf"), []byte("# multiarch\n/opt/b\n"), 0o644))
	dirs, err := librarySearchPath(filepath.Join(dir, "ld.so.conf"))
	require.NoError(t, err)
	require.Equal(t, []string{"/opt/b", "/opt/a", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}, dirs)
}
