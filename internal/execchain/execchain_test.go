package execchain_test

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/execchain"
)

func TestProgramIsAValidELF(t *testing.T) {
	for _, mode := range []execchain.Mode{execchain.Execve, execchain.Execveat} {
		t.Run(mode.String(), func(t *testing.T) {
			f, err := elf.NewFile(bytes.NewReader(execchain.Program(mode)))
			require.NoError(t, err)
			require.Equal(t, elf.EM_X86_64, f.Machine)
			require.Equal(t, elf.ET_EXEC, f.Type)
			require.Len(t, f.Progs, 1)
			p := f.Progs[0]
			require.Equal(t, elf.PT_LOAD, p.Type)
			require.True(t, f.Entry >= p.Vaddr && f.Entry < p.Vaddr+p.Filesz, "entry %#x outside the segment", f.Entry)
		})
	}
}

func TestChainRuns(t *testing.T) {
	if err := execchain.Supported(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		mode     execchain.Mode
		args     func(path string) []string
		wantCode int
	}{
		{"execve n=1", execchain.Execve, func(p string) []string { return []string{p} }, 0},
		{"execve n=20", execchain.Execve, func(p string) []string { return execchain.Command(context.Background(), p, 20).Args }, 0},
		{"execveat n=5", execchain.Execveat, func(p string) []string { return execchain.Command(context.Background(), p, 5).Args }, 0},
		{"execve to a missing file", execchain.Execve, func(p string) []string { return []string{p, "/nonexistent/bpflab-chain"} }, execchain.ExitExecFailed},
		{"execveat to a missing file", execchain.Execveat, func(p string) []string { return []string{p, "/nonexistent/bpflab-chain"} }, execchain.ExitExecFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, err := execchain.Write(dir, tc.mode)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, path)
			cmd.Args = tc.args(path)
			err = cmd.Run()
			require.NoError(t, ctx.Err(), "chain did not finish")
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantCode, code)
		})
	}
}
