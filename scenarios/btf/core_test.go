package btf_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/core"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
)

// TestTaskStateThroughCORE runs the portability program and checks that it
// chose the field the kernel's BTF has and read TASK_RUNNING for the task
// making the syscall.
func TestTaskStateThroughCORE(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.KernelBTF)
	probe.Skip(t, probe.Tracepoint)
	kernel, err := btf.LoadKernelSpec()
	require.NoError(t, err, "kernel BTF (CONFIG_DEBUG_INFO_BTF) is needed for CO-RE")
	want, err := core.KernelField(kernel)
	require.NoError(t, err)

	p, err := core.Load(uint32(os.Getpid()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	require.NoError(t, p.Attach())

	// One thread makes all calls, so the recorded pid is known.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const calls = 3
	for range calls {
		p.Trigger()
	}
	got, err := p.Result()
	require.NoError(t, err)

	require.Equal(t, uint64(calls), got.Hits, "getppid calls seen by the program")
	assert.Equal(t, want, got.Field, "field the program chose vs the kernel's task_struct")
	assert.Equal(t, int64(core.TaskRunning), got.State, "state of the task running the syscall (read through %s)", got.Field)
	assert.Equal(t, uint32(os.Getpid()), got.TGID, "tgid from bpf_get_current_pid_tgid")
	assert.Equal(t, got.TGID, got.TaskTGID, "task_struct->tgid read with CO-RE")
	assert.Equal(t, got.PID, got.TaskPID, "task_struct->pid read with CO-RE")
	t.Logf("task state %d read through %s (kernel BTF has %s)", got.State, got.Field, want)
}
