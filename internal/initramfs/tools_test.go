package initramfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/execchain"
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
	interp, err := interpreter(ls)
	require.NoError(t, err)
	require.Equal(t, interp, paths[1], "then its ELF interpreter")
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
	notELF := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755))
	_, err = ToolClosure(notELF)
	require.ErrorContains(t, err, notELF)
}

func TestParseLoaderList(t *testing.T) {
	tests := []struct {
		name, out string
		want      []string
		err       string
	}{
		{"dynamic", "\tlinux-vdso.so.1 (0x00007ffd5d7e4000)\n" +
			"\tlibselinux.so.1 => /lib/x86_64-linux-gnu/libselinux.so.1 (0x00007f8856ae0000)\n" +
			"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f88568fe000)\n" +
			"\t/lib64/ld-linux-x86-64.so.2 (0x00007f8856b48000)\n",
			[]string{"/lib/x86_64-linux-gnu/libselinux.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}, ""},
		{"runpath with a space", "\tlibx.so => /opt/my tools/lib/libx.so (0x00007f0000000000)\n",
			[]string{"/opt/my tools/lib/libx.so"}, ""},
		{"missing", "\tlibgone.so.3 => not found\n\tlibnope.so => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n",
			nil, "the dynamic loader finds no libgone.so.3, libnope.so"},
		{"static", "\tstatically linked\n", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLoaderList([]byte(tc.out))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// A static executable is its own closure: nothing to ask the loader.
func TestToolClosureOfAStaticExecutable(t *testing.T) {
	exe, err := execchain.Write(t.TempDir(), execchain.Execve)
	require.NoError(t, err)
	paths, err := ToolClosure(exe)
	require.NoError(t, err)
	require.Equal(t, []string{exe}, paths)
}
