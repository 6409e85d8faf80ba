package btf_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/core"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
)

// TestCoreWritesEveryField kills mutants `bpflab mutate bpf/core` found
// alive: it presets the result with sentinels no task has (so a state
// write that never happened cannot pass as TASK_RUNNING = 0) and calls
// from a thread whose tid differs from the tgid (so pid/tgid swaps show).
func TestCoreWritesEveryField(t *testing.T) {
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
	const sentinel = 0x5a5a5a5a
	require.NoError(t, p.Preset(core.Result{State: sentinel, Field: core.FieldNone,
		PID: sentinel, TGID: sentinel, TaskPID: sentinel, TaskTGID: sentinel}))
	require.NoError(t, p.Attach())

	tid := onOtherThread(t, func() {
		for range 2 {
			p.Trigger()
		}
	})
	require.NotEqual(t, os.Getpid(), tid, "the calls must come from a thread other than the main one")

	got, err := p.Result()
	require.NoError(t, err)
	require.Equal(t, uint64(2), got.Hits, "getppid calls seen by the program")
	assert.Equal(t, want, got.Field)
	assert.Equal(t, int64(core.TaskRunning), got.State, "state written through %s (sentinel %#x: never written)", got.Field, sentinel)
	assert.Equal(t, uint32(tid), got.PID, "pid (thread id) from bpf_get_current_pid_tgid")
	assert.Equal(t, uint32(os.Getpid()), got.TGID, "tgid from bpf_get_current_pid_tgid")
	assert.Equal(t, uint32(tid), got.TaskPID, "task_struct->pid read with CO-RE")
	assert.Equal(t, uint32(os.Getpid()), got.TaskTGID, "task_struct->tgid read with CO-RE")
}

// onOtherThread runs fn locked to an OS thread that is not the process's
// main thread (tid != pid) and returns that thread's id.
func onOtherThread(t *testing.T, fn func()) int {
	t.Helper()
	tids := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if unix.Gettid() != os.Getpid() {
			fn()
			tids <- unix.Gettid()
			return
		}
		// This goroutine holds the main thread; a goroutine started now
		// cannot run on it, so it gets another thread.
		done := make(chan int)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fn()
			done <- unix.Gettid()
		}()
		tids <- <-done
	}()
	return <-tids
}
