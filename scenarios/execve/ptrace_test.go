package execve_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/testenv"
)

// Ptrace modes: a traced child that execs a missing file once a tracer
// (another child, not its parent) holds it, and that tracer.
const (
	modeTraced    = "traced"
	modeTracer    = "tracer"
	envTracee     = "BPFLAB_EXECVE_TRACEE" // tracer mode: the thread to attach
	tracedMissing = "/nonexistent/bpflab-execve-traced"
)

// TestPtracedParent kills the mutant reading task->parent for the event's
// ppid instead of task->real_parent: they differ only while a process
// other than the real parent ptraces the thread. This test process starts
// the tracee C (so it is C's real parent) and a tracer T, which attaches
// C's exec thread with PTRACE_SEIZE; C then makes a failing execve. The
// event's ppid must be this process, not T.
func TestPtracedParent(t *testing.T) {
	testenv.Setup(t)
	tr, err := execve.Load(execve.Options{})
	require.NoError(t, err)
	defer func() { assert.NoError(t, tr.Close()) }()
	require.NoError(t, tr.Attach())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	col := newCollector()
	go col.run(ctx, tr)

	self, err := os.Executable()
	require.NoError(t, err)
	tracee := startHelper(t, ctx, self, modeTraced, nil)
	tid, err := tracee.line()
	require.NoError(t, err, "tracee's thread id")
	tracer := startHelper(t, ctx, self, modeTracer, []string{envTracee + "=" + tid})
	attached, err := tracer.line()
	require.NoError(t, err, "tracer attaching thread %s", tid)
	require.Equal(t, "attached", attached)

	_, err = io.WriteString(tracee.stdin, "go\n")
	require.NoError(t, err)
	tracerPID, err := tracee.line()
	require.NoError(t, err, "tracee's TracerPid")
	require.NoError(t, tracee.wait(), "tracee")
	require.NoError(t, tracer.wait(), "tracer")
	// The premise: T traced C's exec thread when it called execve.
	require.Equal(t, strconv.Itoa(tracer.cmd.Process.Pid), tracerPID, "TracerPid of the tracee's exec thread")

	c := uint32(tracee.cmd.Process.Pid)
	evs, err := col.waitFor(ctx, c, 2) // its start, then the traced call
	require.NoError(t, err, "events of the tracee %d", c)
	var traced []execve.Event
	for _, ev := range evs {
		if ev.Filename == tracedMissing {
			traced = append(traced, ev)
		}
	}
	require.Len(t, traced, 1, "events of the traced execve (all of tgid %d: %+v)", c, evs)
	ev := traced[0]
	assert.Equal(t, tid, strconv.Itoa(int(ev.PID)), "pid: the traced thread")
	assert.Equal(t, uint32(os.Getpid()), ev.PPID, "ppid must be the real parent %d, not the tracer %d", os.Getpid(), tracer.cmd.Process.Pid)
}

// helper is a child process of the test binary in a helper mode.
type helper struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr bytes.Buffer
}

func startHelper(t *testing.T, ctx context.Context, self, mode string, env []string) *helper {
	t.Helper()
	h := &helper{cmd: exec.CommandContext(ctx, self)}
	// Fewer signals to the tracee: each is a ptrace stop the tracer must
	// pass on.
	h.cmd.Env = append(append(childEnv(os.Environ(), mode, 0, self), "GODEBUG=asyncpreemptoff=1"), env...)
	h.cmd.Stderr = &h.stderr
	var err error
	h.stdin, err = h.cmd.StdinPipe()
	require.NoError(t, err)
	out, err := h.cmd.StdoutPipe()
	require.NoError(t, err)
	h.stdout = bufio.NewReader(out)
	require.NoError(t, h.cmd.Start(), "start %s helper", mode)
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			_ = h.cmd.Process.Kill()
			_ = h.cmd.Wait()
		}
	})
	return h
}

// line reads the helper's next line; CommandContext kills it at the
// deadline, which ends the read.
func (h *helper) line() (string, error) {
	s, err := h.stdout.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%s: %w (stderr: %s)", h.cmd.Path, err, h.stderr.String())
	}
	return strings.TrimSuffix(s, "\n"), nil
}

func (h *helper) wait() error {
	if err := h.cmd.Wait(); err != nil {
		return fmt.Errorf("helper %d: %w (stderr: %s)", h.cmd.Process.Pid, err, h.stderr.String())
	}
	return nil
}

// traced is the tracee: from a locked thread it prints its tid, waits for
// "go", prints its TracerPid, and makes one failing execve.
func traced() int {
	runtime.LockOSThread()
	fmt.Println(unix.Gettid())
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || line != "go\n" {
		fmt.Fprintf(os.Stderr, "execve child: traced: want \"go\" on stdin, got %q (%v)\n", line, err)
		return 5
	}
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		fmt.Fprintf(os.Stderr, "execve child: traced: %v\n", err)
		return 4
	}
	tracer := "none"
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			tracer = strings.TrimSpace(v)
		}
	}
	fmt.Println(tracer)
	if err := rawExec(tracedMissing, false); err != nil {
		fmt.Fprintf(os.Stderr, "execve child: traced: %v\n", err)
		return 3
	}
	return 0
}

// tracer seizes the thread envTracee names, says "attached", and passes
// on every stop until that thread exits.
func tracer() int {
	runtime.LockOSThread() // ptrace requests must come from the attaching thread
	tid, err := strconv.Atoi(os.Getenv(envTracee))
	if err != nil {
		fmt.Fprintf(os.Stderr, "execve child: tracer: bad %s: %v\n", envTracee, err)
		return 2
	}
	if err := unix.PtraceSeize(tid); err != nil {
		fmt.Fprintf(os.Stderr, "execve child: tracer: PTRACE_SEIZE %d: %v\n", tid, err)
		return 3
	}
	fmt.Println("attached")
	for {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(tid, &ws, unix.WALL, nil); err != nil {
			fmt.Fprintf(os.Stderr, "execve child: tracer: wait for %d: %v\n", tid, err)
			return 4
		}
		if ws.Exited() || ws.Signaled() {
			return 0
		}
		if !ws.Stopped() {
			continue
		}
		// A signal-delivery stop passes the signal on; event and group
		// stops (SIGTRAP with an event, or a stop signal under SEIZE)
		// resume with none.
		sig := ws.StopSignal()
		if ws.TrapCause() > 0 || sig == unix.SIGTRAP {
			sig = 0
		}
		if err := unix.PtraceCont(tid, int(sig)); err != nil {
			fmt.Fprintf(os.Stderr, "execve child: tracer: PTRACE_CONT %d: %v\n", tid, err)
			return 5
		}
	}
}
