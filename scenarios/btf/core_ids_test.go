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

// otherThread runs fn locked to a thread that is not the main thread, so
// its thread id differs from the process id, and returns that thread id.
// A goroutine locked while another holds the main thread cannot be on it.
func otherThread(t *testing.T, fn func()) int {
	t.Helper()
	done := make(chan int)
	var try func(depth int)
	try = func(depth int) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := unix.Gettid()
		if tid == os.Getpid() && depth == 0 {
			// On the main thread: hold it, so the next goroutine cannot be.
			inner := make(chan struct{})
			go func() { try(1); close(inner) }()
			<-inner
			return
		}
		if tid != os.Getpid() {
			fn()
		}
		done <- tid
	}
	go try(0)
	tid := <-done
	require.NotEqual(t, os.Getpid(), tid, "a thread other than the main one")
	return tid
}

// TestCOREIdentities checks the probe's pid/tgid fields against values
// known outside the program, from a thread whose id differs from the
// process id: a pid/tgid mix-up in either the helper or the CO-RE read
// shows here (on the main thread the two are equal).
func TestCOREIdentities(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.KernelBTF)
	probe.Skip(t, probe.Tracepoint)
	kernel, err := btf.LoadKernelSpec()
	require.NoError(t, err)
	want, err := core.KernelField(kernel)
	require.NoError(t, err)
	p, err := core.Load(uint32(os.Getpid()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	require.NoError(t, p.Attach())

	const calls = 5
	tid := otherThread(t, func() {
		for range calls {
			p.Trigger()
		}
	})
	got, err := p.Result()
	require.NoError(t, err)
	require.Equal(t, uint64(calls), got.Hits, "getppid calls seen by the program")
	assert.Equal(t, tid, int(got.PID), "pid (thread id) from bpf_get_current_pid_tgid; tgid is %d", os.Getpid())
	assert.Equal(t, os.Getpid(), int(got.TGID), "tgid from bpf_get_current_pid_tgid; thread id is %d", tid)
	assert.Equal(t, tid, int(got.TaskPID), "task_struct->pid read with CO-RE; tgid is %d", os.Getpid())
	assert.Equal(t, os.Getpid(), int(got.TaskTGID), "task_struct->tgid read with CO-RE; thread id is %d", tid)
	assert.Equal(t, want, got.Field, "field the program chose vs the kernel's task_struct")
	assert.Equal(t, int64(core.TaskRunning), got.State, "state of the task running the syscall")
}
