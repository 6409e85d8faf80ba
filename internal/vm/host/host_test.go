package host

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/uname"
	"github.com/bpflab/bpflab/internal/vm"
)

func sh(name, script string) vm.Binary {
	return vm.Binary{Name: name, Path: "/bin/sh", Args: []string{"-c", script}}
}

func TestRunExitCodesOutputAndTimeout(t *testing.T) {
	var mu sync.Mutex
	streamed := map[string][]string{}
	job := vm.Job{
		Binaries: []vm.Binary{
			sh("ok", "echo hello; echo err >&2"),
			sh("fails", "echo broken; exit 3"),
			// The background sleep keeps the pipe open: the group kill must end it.
			sh("hangs", "sleep 30 & echo started; sleep 30"),
			sh("env", `echo "X=$BPFLAB_TEST_X"`),
		},
		Env:     []string{"BPFLAB_TEST_X=42"},
		WorkDir: t.TempDir(),
		Timeout: time.Minute,
		Stream: func(bin string, line []byte) {
			mu.Lock()
			defer mu.Unlock()
			streamed[bin] = append(streamed[bin], string(line))
		},
	}
	start := time.Now()
	run, err := New(time.Second).Run(context.Background(), job)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 15*time.Second, "the hanging binary was not killed in time")
	assert.Equal(t, "host", run.Accel)
	rel, err := uname.Release()
	require.NoError(t, err)
	assert.Equal(t, rel, run.Release)
	assert.NotEmpty(t, run.Release)
	require.Len(t, run.Results, 4)

	tests := []struct {
		code int
		out  string
	}{
		{0, "hello\nerr\n"},
		{3, "broken\n"},
		{-1, "started\n\nbpflab: hangs killed after the per-binary timeout of 1s\n"},
		{0, "X=42\n"},
	}
	for i, tt := range tests {
		r := run.Results[i]
		assert.Equal(t, tt.code, r.ExitCode, r.Name)
		assert.Equal(t, tt.out, string(r.Output), r.Name)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"hello", "err"}, streamed["ok"])
}

func TestRunJobDeadlineIsPhaseError(t *testing.T) {
	job := vm.Job{Binaries: []vm.Binary{sh("slow", "sleep 30")}, WorkDir: t.TempDir(), Timeout: 500 * time.Millisecond}
	run, err := New(0).Run(context.Background(), job)
	var pe *vm.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "test", pe.Phase)
	assert.Contains(t, pe.Error(), "slow: job deadline passed")
	require.Len(t, run.Results, 1)
	assert.Equal(t, -1, run.Results[0].ExitCode)
}

func TestRunRejectsBootableKernel(t *testing.T) {
	_, err := New(0).Run(context.Background(), vm.Job{Kernel: &vm.Kernel{Name: "6.1", Vmlinuz: "/x/vmlinuz"}})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "--backend"), err.Error())
}

func TestRunMissingModule(t *testing.T) {
	_, err := New(0).Run(context.Background(), vm.Job{Modules: []string{"bpflab_no_such_module"}, WorkDir: t.TempDir()})
	var pe *vm.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "modules", pe.Phase)
	assert.Contains(t, pe.Error(), "modprobe bpflab_no_such_module")
}

func TestConfigBuiltin(t *testing.T) {
	cfg := "# comment\nCONFIG_VETH=y\nCONFIG_NF_TABLES=m\n# CONFIG_DUMMY is not set\n"
	assert.True(t, configBuiltin(cfg, "veth"))
	assert.False(t, configBuiltin(cfg, "nf-tables"), "=m is a module, not built in")
	assert.False(t, configBuiltin(cfg, "dummy"))
	assert.False(t, configBuiltin("", "veth"))
}
