package execchain_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/execchain"
)

func TestProgramIsAValidELF(t *testing.T) {
	for _, tc := range []struct {
		goarch  string
		machine elf.Machine
		order   binary.ByteOrder
	}{
		{"amd64", elf.EM_X86_64, binary.LittleEndian},
		{"arm64", elf.EM_AARCH64, binary.LittleEndian},
		{"s390x", elf.EM_S390, binary.BigEndian},
	} {
		for _, mode := range []execchain.Mode{execchain.Execve, execchain.Execveat} {
			t.Run(tc.goarch+"/"+mode.String(), func(t *testing.T) {
				prog, err := execchain.ProgramFor(tc.goarch, mode)
				require.NoError(t, err)
				f, err := elf.NewFile(bytes.NewReader(prog))
				require.NoError(t, err)
				require.Equal(t, tc.machine, f.Machine)
				require.Equal(t, tc.order, f.ByteOrder)
				require.Equal(t, elf.ET_EXEC, f.Type)
				require.Len(t, f.Progs, 1)
				p := f.Progs[0]
				require.Equal(t, elf.PT_LOAD, p.Type)
				require.EqualValues(t, len(prog), p.Filesz, "the segment covers the whole file")
				require.True(t, f.Entry >= p.Vaddr && f.Entry < p.Vaddr+p.Filesz, "entry %#x outside the segment", f.Entry)
				require.Zero(t, f.Entry%4, "instructions are aligned")
			})
		}
	}
	_, err := execchain.ProgramFor("riscv64", execchain.Execve)
	require.ErrorContains(t, err, "no chain program for riscv64")
}

// Program is this architecture's chain (the one TestChainRuns runs).
func TestProgramIsTheHostsOwn(t *testing.T) {
	if err := execchain.Supported(); err != nil {
		t.Skip(err)
	}
	for _, mode := range []execchain.Mode{execchain.Execve, execchain.Execveat} {
		want, err := execchain.ProgramFor(runtime.GOARCH, mode)
		require.NoError(t, err)
		require.Equal(t, want, execchain.Program(mode), mode.String())
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
