package execve_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
)

// Credentials of the thread making the faulting calls: distinct from each
// other and from root's, so a uid/gid or pid/tgid mix-up shows.
const (
	faultUID = 4343
	faultGID = 4242
)

// faultCall is what one thread saw while making the faulting calls.
type faultCall struct {
	tid  uint32
	comm string
	errs [2]error // execve, execveat
}

// TestFilenameFaultAndFilter kills mutants `bpflab mutate bpf/execve`
// found alive: nothing else made the program's filename-fault path, its
// diag counter, its event filter or a non-root caller run. One thread,
// whose tid is not the tgid and whose uid and gid differ, calls execve and
// execveat with a filename on a PROT_NONE page (EFAULT, nothing is
// executed, but sys_enter fires); a child process execs meanwhile. With
// EventTGID set to this process, the child is counted but sends no event,
// and both faulting calls arrive flagged, counted, and in diag.
func TestFilenameFaultAndFilter(t *testing.T) {
	testenv.Setup(t)
	ex := newExecer(t)
	for _, forcePerf := range []bool{false, true} {
		name := execve.TransportRingbuf
		if forcePerf {
			name = execve.TransportPerf
		}
		t.Run(name, func(t *testing.T) {
			self := uint32(os.Getpid())
			tr, err := execve.Load(execve.Options{ForcePerf: forcePerf, EventTGID: self})
			require.NoError(t, err)
			defer func() { assert.NoError(t, tr.Close()) }()
			// Only the ring-buffer subtest can differ from its name (perf is
			// forced); a fallback is a skip only where the kernel lacks it.
			probe.SkipFallback(t, probe.RingBuf, tr.Transport() == name, "execve tracker transport (chose "+tr.Transport()+")")
			require.NoError(t, tr.Attach())
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			col := newCollector()
			go col.run(ctx, tr)

			const attempts = 5
			for attempt := 1; attempt <= attempts; attempt++ {
				if checkFaults(t, ctx, tr, col, ex, self) {
					return
				}
				t.Logf("attempt %d: the kernel skipped the tracker (bpf_prog_active held on that CPU); again", attempt)
			}
			t.Fatalf("the kernel skipped the tracker in each of %d attempts", attempts)
		})
	}
}

// checkFaults runs one round; false means the kernel declared skipped
// runs (Tracker.Missed), which make exact checks impossible.
func checkFaults(t *testing.T, ctx context.Context, tr *execve.Tracker, col *collector, ex *execer, self uint32) bool {
	missedBefore, err := tr.Missed()
	require.NoError(t, err)
	diagBefore, err := tr.Diag()
	require.NoError(t, err)
	countBefore, err := tr.Count(self)
	require.NoError(t, err)
	seen := len(col.events(self))

	child, err := ex.run(ctx, modeExecve, 1)
	require.NoError(t, err)
	call := faultingExecs(t)

	missedAfter, err := tr.Missed()
	require.NoError(t, err)
	if missedAfter != missedBefore {
		return false
	}
	for i, err := range call.errs {
		require.ErrorIs(t, err, unix.EFAULT, "call %d with an unreadable filename", i)
	}
	_, err = col.waitFor(ctx, self, seen+2)
	require.NoError(t, err, "events of the faulting calls (transport %s)", tr.Transport())
	time.Sleep(100 * time.Millisecond) // perf rings of other CPUs are read in turn
	evs := col.events(self)[seen:]
	require.Len(t, evs, 2, "events of this process: %+v", evs)

	count, err := tr.Count(self)
	require.NoError(t, err)
	assert.Equal(t, countBefore+2, count, "this process's count after two faulting calls")
	childCount, err := tr.Count(child)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), childCount, "the child is counted though its events are filtered")
	assert.Empty(t, col.events(child), "EventTGID=%d: the child %d must send no event", self, child)
	diag, err := tr.Diag()
	require.NoError(t, err)
	assert.Equal(t, diagBefore.FilenameFaults+2, diag.FilenameFaults, "diag filename faults (%+v)", diag)
	assert.Equal(t, diagBefore.CountFailed, diag.CountFailed, "diag count failures (%+v)", diag)

	execveat := 0
	for i, ev := range evs {
		if ev.Execveat {
			execveat++
		}
		assert.Equal(t, call.tid, ev.PID, "event %d: pid is the calling thread", i)
		assert.Equal(t, self, ev.TGID, "event %d: tgid", i)
		assert.NotEqual(t, ev.PID, ev.TGID, "event %d: the calling thread is not the main one", i)
		assert.Equal(t, uint32(os.Getppid()), ev.PPID, "event %d: parent", i)
		assert.Equal(t, uint32(faultUID), ev.UID, "event %d: uid (gid is %d)", i, faultGID)
		assert.Equal(t, call.comm, ev.Comm, "event %d: comm", i)
		assert.True(t, ev.FilenameFault, "event %d: filename fault flag", i)
		assert.Empty(t, ev.Filename, "event %d: an unreadable filename is empty", i)
	}
	assert.Equal(t, 1, execveat, "events flagged execveat")
	return true
}

// faultingExecs calls execve and execveat with an unreadable filename from
// a fresh thread that first takes faultUID/faultGID for itself only (raw
// setres[ug]id, not Go's process-wide ones). The goroutine ends locked, so
// Go discards the thread and its credentials.
func faultingExecs(t *testing.T) faultCall {
	page, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	require.NoError(t, err)
	defer func() { assert.NoError(t, unix.Munmap(page)) }()
	bad := uintptr(unsafe.Pointer(&page[0]))

	res := make(chan faultCall, 1)
	errc := make(chan error, 1)
	work := func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		tid := unix.Gettid()
		comm, err := os.ReadFile("/proc/thread-self/comm")
		if err != nil {
			errc <- err
			return
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, faultGID, faultGID, faultGID); e != 0 {
			errc <- fmt.Errorf("setresgid: %w", e)
			return
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, faultUID, faultUID, faultUID); e != 0 {
			errc <- fmt.Errorf("setresuid: %w", e)
			return
		}
		c := faultCall{tid: uint32(tid), comm: strings.TrimSpace(string(comm))}
		if _, _, e := unix.RawSyscall(unix.SYS_EXECVE, bad, 0, 0); e != 0 {
			c.errs[0] = e
		}
		atFDCWD := unix.AT_FDCWD
		if _, _, e := unix.RawSyscall6(unix.SYS_EXECVEAT, uintptr(atFDCWD), bad, 0, 0, 0, 0); e != 0 {
			c.errs[1] = e
		}
		res <- c
	}
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != os.Getpid() {
			work() // locked twice, unlocked never: the thread is discarded
			return
		}
		defer runtime.UnlockOSThread()
		// Holding the main thread, a new goroutine must run on another.
		done := make(chan struct{})
		go func() { defer close(done); work() }()
		<-done
	}()
	select {
	case c := <-res:
		require.NotEqual(t, uint32(os.Getpid()), c.tid, "the faulting thread must not be the main thread")
		return c
	case err := <-errc:
		require.NoError(t, err, "faulting thread")
	case <-time.After(30 * time.Second):
		t.Fatal("faulting thread did not finish in 30 s")
	}
	return faultCall{}
}

// countAttempts is COUNT_ATTEMPTS in execve.bpf.c: insert rounds per exec.
const countAttempts = 4

// TestCountTableFull kills the retry-path mutants: with a one-entry count
// table that is already taken, every exec of a new process fails to
// insert (E2BIG), is retried countAttempts times and declared in diag.
// Other processes exec meanwhile on a shared host, so diag is checked as a
// ratio: retries = countAttempts x failures, give or take the runs in
// flight on each CPU when diag is read.
func TestCountTableFull(t *testing.T) {
	testenv.Setup(t)
	ex := newExecer(t)
	tr, err := execve.Load(execve.Options{CountEntries: 1, EventTGID: uint32(os.Getpid())})
	require.NoError(t, err)
	defer func() { assert.NoError(t, tr.Close()) }()
	require.NoError(t, tr.Attach())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The first exec anywhere takes the only entry.
	filler, err := ex.run(ctx, modeExecve, 1)
	require.NoError(t, err)
	counts, err := tr.Counts()
	require.NoError(t, err)
	require.Len(t, counts, 1, "a one-entry table after the filler %d exec'd", filler)

	before, err := tr.Diag()
	require.NoError(t, err)
	const execs = 50
	child, err := ex.run(ctx, modeExecve, execs)
	require.NoError(t, err)
	after, err := tr.Diag()
	require.NoError(t, err)

	got, err := tr.Count(child)
	require.NoError(t, err)
	assert.Zero(t, got, "a process that found the table full is not counted")
	failed := after.CountFailed - before.CountFailed
	retried := after.CountRetried - before.CountRetried
	assert.GreaterOrEqual(t, failed, uint64(execs), "failed count inserts: at least the child's %d (diag %+v)", execs, after)
	slack := float64(countAttempts * runtime.NumCPU())
	assert.InDelta(t, float64(countAttempts)*float64(failed), float64(retried), slack,
		"each failed insert is retried %d times: %d failures, %d retries (diag %+v)", countAttempts, failed, retried, after)
	assert.Equal(t, uint64(unix.E2BIG), after.CountLastErrno, "errno of the last failed insert (diag %+v)", after)
}

// TestFullEventBufferIsDeclared kills the mutant that drops the
// EVENT_DROPPED bump: with nobody reading, a burst of calls overflows the
// event buffer (ring buffer, or a one-page perf buffer per CPU), and every
// call of this process is then either delivered or declared dropped.
func TestFullEventBufferIsDeclared(t *testing.T) {
	testenv.Setup(t)
	for _, c := range []struct {
		forcePerf bool
		name      string
		calls     int
	}{
		{false, execve.TransportRingbuf, 1500}, // 256 KiB ring, ~300 bytes per event
		{true, execve.TransportPerf, 200},      // 4 KiB per CPU
	} {
		t.Run(c.name, func(t *testing.T) {
			self := uint32(os.Getpid())
			tr, err := execve.Load(execve.Options{ForcePerf: c.forcePerf, EventTGID: self, PerfBufferPages: 1})
			require.NoError(t, err)
			defer func() { assert.NoError(t, tr.Close()) }()
			probe.SkipFallback(t, probe.RingBuf, tr.Transport() == c.name, "execve tracker transport (chose "+tr.Transport()+")")
			require.NoError(t, tr.Attach())
			missedBefore, err := tr.Missed()
			require.NoError(t, err)
			before, err := tr.Diag()
			require.NoError(t, err)

			page, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			require.NoError(t, err)
			defer func() { assert.NoError(t, unix.Munmap(page)) }()
			bad := uintptr(unsafe.Pointer(&page[0]))
			for range c.calls {
				_, _, e := unix.RawSyscall(unix.SYS_EXECVE, bad, 0, 0)
				require.Equal(t, unix.EFAULT, e)
			}
			after, err := tr.Diag()
			require.NoError(t, err)
			missedAfter, err := tr.Missed()
			require.NoError(t, err)
			dropped := int(after.EventsDropped - before.EventsDropped)
			missed := int(missedAfter - missedBefore)
			require.Positive(t, dropped, "%d events with nobody reading must overflow the %s buffer (diag %+v)", c.calls, c.name, after)

			// Now drain: delivered + dropped (+ runs the kernel skipped) = calls.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			got := 0
			for got+dropped+missed < c.calls {
				ev, err := tr.ReadEvent(ctx)
				require.NoError(t, err, "after %d events, %d dropped, %d skipped of %d calls", got, dropped, missed, c.calls)
				if ev.TGID == self {
					got++
				}
			}
			assert.Equal(t, c.calls, got+dropped+missed, "delivered %d + dropped %d + skipped %d", got, dropped, missed)
			// Nothing more than the calls made may arrive.
			short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel2()
			_, err = tr.ReadEvent(short)
			assert.Error(t, err, "an event beyond the %d calls (delivered %d, dropped %d)", c.calls, got, dropped)
		})
	}
}
