package btf_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

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

// envGetppid makes the test binary a child that calls getppid that many
// times and exits (TestCoreFilterIgnoresOthers).
const envGetppid = "BPFLAB_BTF_GETPPID_CALLS"

func TestMain(m *testing.M) {
	if n, ok := os.LookupEnv(envGetppid); ok {
		calls, err := strconv.Atoi(n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "btf child: bad %s=%q\n", envGetppid, n)
			os.Exit(2)
		}
		for range calls {
			unix.Getppid()
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCoreFilterIgnoresOthers kills the mutant that drops the program's
// target_tgid filter: another process's getppid calls must not be
// recorded, only this process's.
func TestCoreFilterIgnoresOthers(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.KernelBTF)
	probe.Skip(t, probe.Tracepoint)
	p, err := core.Load(uint32(os.Getpid()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	require.NoError(t, p.Attach())

	self, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const childCalls = 5
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", envGetppid, childCalls))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child making %d getppid calls: %s", childCalls, out)

	tid := onOtherThread(t, func() { p.Trigger() })
	got, err := p.Result()
	require.NoError(t, err)
	assert.Equal(t, uint64(1), got.Hits, "only this process's call counts, not the child's %d (pid %d)", childCalls, cmd.Process.Pid)
	assert.Equal(t, uint32(os.Getpid()), got.TGID, "recorded process")
	assert.Equal(t, uint32(tid), got.PID, "recorded thread")
}
