package execve_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/testenv"
)

// First-exec race: how long to try, how many races are enough, and the
// missing file the racing threads exec.
const (
	firstRaceBudget  = 5 * time.Second
	firstRaceWant    = 20
	firstRaceMissing = "/nonexistent/bpflab-execve-first-race"
	// CPU overlap probe: how long, how often while no race happened, and
	// the share of looks in which the other thread's counter must have
	// moved for the threads to count as running at once (~7% on idle
	// parallel CPUs; ~1e-6, a move per vCPU switch, when they take turns
	// as under single-threaded TCG; a loaded host is in between).
	overlapProbe = 50 * time.Millisecond
	overlapEvery = 500 * time.Millisecond
	overlapMin   = 1e-4
)

// TestFirstExecRace kills the mutants of the tracker's insert race that
// `bpflab mutate bpf/execve` found alive: a wrong EEXIST errno, a deleted
// EEXIST check, and BPF_ANY for BPF_NOEXIST. They only matter when
// threads of one process make its first counted exec call at the same
// moment on different CPUs, so all miss the lookup and race the insert.
//
// Each round forgets this process's count, then wakes the workers (one
// locked OS thread each), which meet at a spin barrier and make one
// failing execve each. Every round is thus a first insert raced by all
// workers, and the count after it must be exactly the number of workers.
// The program counts each lost insert (EEXIST) in diag; the test requires
// at least one, so it proves the race happened rather than assuming it,
// unless it measured that no two threads ever ran at the same moment
// (then it skips, saying so).
func TestFirstExecRace(t *testing.T) {
	testenv.Setup(t)
	self := uint32(os.Getpid())
	tr, err := execve.Load(execve.Options{EventTGID: self})
	require.NoError(t, err)
	defer func() { assert.NoError(t, tr.Close()) }()
	require.NoError(t, tr.Attach())

	// One worker per CPU: more would wait for a CPU, not race.
	workers := min(max(runtime.NumCPU(), 2), 4)
	// Spinning workers hold their P and cannot be preempted (their
	// signals are blocked, see raceControl.worker), so the main goroutine
	// needs a P of its own, and no garbage collection may wait for them.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers + 1))
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))

	rc := &raceControl{
		workers: workers,
		start:   make(chan struct{}, workers),
		done:    make(chan error, workers),
		stop:    make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(rc.worker)
	}
	defer func() {
		rc.quit.Store(true)
		close(rc.stop)
		wg.Wait()
	}()

	diagStart, err := tr.Diag()
	require.NoError(t, err)
	var rounds, skipped, raced int
	// While no race happened, measure now and then whether two threads
	// run at the same moment at all: threads that take turns on one CPU
	// cannot race. Single-threaded TCG (the qemu backend's, see
	// internal/vm/qemu) runs all vCPUs that way; a loaded host may for a
	// while. Only a measured absence of overlap may skip the test.
	var moved, looks uint64
	var lastProbe time.Time
	start := time.Now()
	for time.Since(start) < firstRaceBudget && raced < firstRaceWant {
		if raced == 0 && time.Since(lastProbe) >= overlapEvery {
			m, l := cpuOverlap(overlapProbe)
			moved, looks = moved+m, looks+l
			lastProbe = time.Now()
		}
		rounds++
		missedBefore, err := tr.Missed()
		require.NoError(t, err)
		before, err := tr.Diag()
		require.NoError(t, err)
		require.NoError(t, tr.Forget(self))

		for range workers {
			rc.start <- struct{}{}
		}
		timeout := time.After(30 * time.Second)
		for i := range workers {
			select {
			case err := <-rc.done:
				require.NoError(t, err, "race worker in round %d", rounds)
			case <-timeout:
				t.Fatalf("round %d: %d of %d racing execve calls returned after 30 s", rounds, i, workers)
			}
		}

		got, err := tr.Count(self)
		require.NoError(t, err)
		after, err := tr.Diag()
		require.NoError(t, err)
		missedAfter, err := tr.Missed()
		require.NoError(t, err)
		// Runs the kernel skipped (Tracker.Missed) or inserts it refused
		// after the retries (EBUSY, declared in diag) make this round
		// inexact; they are rare and say nothing about the race.
		if missedAfter != missedBefore || after.CountFailed != before.CountFailed {
			skipped++
			continue
		}
		require.Equal(t, uint64(workers), got, "round %d: %d threads of tgid %d each made one first exec call at once; counted %d (diag %+v)", rounds, workers, self, got, after)
		raced += int(after.CountRaced - before.CountRaced)
	}
	diag, err := tr.Diag()
	require.NoError(t, err)
	elapsed := time.Since(start)
	t.Logf("%d workers, %d rounds in %v (%d inexact, skipped), %d inserts lost the race (EEXIST) and added; CPU overlap before the first race: %d moves in %d looks; diag %+v", workers, rounds, elapsed.Round(time.Millisecond), skipped, raced, moved, looks, diag)
	// A lost race is not a failure: it must not reach the retry path or
	// its errno slot (only transient EBUSY may be there).
	assert.NotEqual(t, uint64(unix.EEXIST), diag.CountLastErrno, "an EEXIST insert was treated as a failure (diag %+v, at start %+v)", diag, diagStart)
	if raced == 0 {
		share := float64(moved) / float64(max(looks, 1))
		if share < overlapMin {
			t.Skipf("no insert race in %d rounds over %v, and two threads never ran at the same moment here: spinning side by side, one saw the other's counter move in %d of %d looks (%.2g < %g); threads taking turns on one CPU (single-threaded TCG runs every vCPU in one host thread) cannot race", rounds, elapsed.Round(time.Millisecond), moved, looks, share, overlapMin)
		}
		t.Fatalf("in %d rounds over %v, no two of %d threads missed the lookup together (diag raced count unchanged), though threads did run at once (one saw the other's counter move in %d of %d looks): the race this test exists for never happened, so it proves nothing", rounds, elapsed.Round(time.Millisecond), workers, moved, looks)
	}
}

// raceControl releases the race workers round by round.
type raceControl struct {
	workers int
	start   chan struct{} // one token per worker and round
	done    chan error    // one result per worker and round
	stop    chan struct{}
	quit    atomic.Bool  // set with stop; read where a worker spins
	arrived atomic.Int64 // workers at the barrier, over all rounds
}

// worker makes one failing execve per round, on a locked OS thread with
// every signal blocked: a signal (the Go runtime's preemption SIGURG)
// reaching a thread that waits in execve for the process's
// cred_guard_mutex makes the kernel restart the call, a second
// sys_enter_execve the round did not mean. The goroutine never unlocks,
// so Go discards the thread and its signal mask when it returns.
//
// Between rounds the workers sleep, so the main goroutine has a CPU for
// its map reads; in a round they meet at a spin barrier, so the last to
// arrive finds the others running, and all leave together.
func (rc *raceControl) worker() {
	runtime.LockOSThread()
	fail := func(err error) {
		for {
			select {
			case <-rc.stop:
				return
			case <-rc.start:
				rc.arrived.Add(1)
				rc.done <- err
			}
		}
	}
	var all unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^all.Val[i]
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &all, nil); err != nil {
		fail(fmt.Errorf("block signals: %w", err))
		return
	}
	argv, _ := syscall.SlicePtrFromStrings([]string{firstRaceMissing})
	envv, _ := syscall.SlicePtrFromStrings(nil)
	path, _ := syscall.BytePtrFromString(firstRaceMissing)
	for r := int64(1); ; r++ {
		select {
		case <-rc.stop:
			return
		case <-rc.start:
		}
		rc.arrived.Add(1)
		for rc.arrived.Load() < r*int64(rc.workers) {
			// Spin: a sleeping thread would leave late.
			if rc.quit.Load() {
				return
			}
		}
		// Raw syscall: syscall.Exec serialises callers on a lock.
		_, _, e := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
		var err error
		if e != unix.ENOENT {
			err = &os.PathError{Op: "execve", Path: firstRaceMissing, Err: e}
		}
		rc.done <- err
	}
}

// cpuOverlap runs two threads that spin for d, each incrementing its own
// counter and looking at the other's. It returns how many looks saw the
// other's counter moved since the previous look, and how many looks there
// were. Threads running at the same moment see it move on most looks;
// threads taking turns on one CPU only on the first look after a switch.
func cpuOverlap(d time.Duration) (moved, looks uint64) {
	var ctr [2]atomic.Uint64
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for i := range 2 {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			mine, other := &ctr[i], &ctr[1-i]
			var m, n uint64
			last := other.Load()
			for n%4096 != 0 || time.Now().Before(deadline) {
				mine.Add(1)
				if v := other.Load(); v != last {
					m++
					last = v
				}
				n++
			}
			mu.Lock()
			moved += m
			looks += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return moved, looks
}
