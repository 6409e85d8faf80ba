package execve_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/execchain"
)

// Each noise process makes noiseExecs execve calls; noiseWorkers run at once.
const (
	noiseExecs   = 4
	noiseWorkers = 2
	noisePause   = 5 * time.Millisecond
)

func TestExecveCount(t *testing.T) {
	testenv.Setup(t)
	ex := newExecer(t)

	for _, forcePerf := range []bool{false, true} {
		name := execve.TransportRingbuf
		if forcePerf {
			name = execve.TransportPerf
		}
		t.Run(name, func(t *testing.T) {
			tr, err := execve.Load(execve.Options{ForcePerf: forcePerf})
			var ve *ebpf.VerifierError
			if errors.As(err, &ve) {
				t.Fatalf("load execve tracker: %+v", ve)
			}
			require.NoError(t, err)
			defer func() { assert.NoError(t, tr.Close()) }()
			// The ring-buffer subtest may skip only where the kernel has no
			// ring buffer (probed, and older than its 5.8 minimum).
			probe.SkipFallback(t, probe.RingBuf, tr.Transport() == name, "execve tracker transport (chose "+tr.Transport()+")")
			require.NoError(t, tr.Attach())
			require.True(t, tr.Attached(), "tracker loaded but not attached")

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			col := newCollector()
			go col.run(ctx, tr)

			missedBefore, err := tr.Missed()
			require.NoError(t, err)
			diagBefore, err := tr.Diag()
			require.NoError(t, err)
			noise := startNoise(ctx, ex)
			for _, c := range cases(ex) {
				t.Run(c.name, func(t *testing.T) {
					checkExactly(t, tr, col, ex, c)
				})
			}
			noisePIDs := noise.stop(t)
			require.NotEmpty(t, noisePIDs, "noise generator never ran")
			missedAfter, err := tr.Missed()
			require.NoError(t, err)
			missed := missedAfter - missedBefore
			diag, err := tr.Diag()
			require.NoError(t, err)
			// Inserts refused with EBUSY are declared too (see checkExactly).
			declared := missed + diag.CountFailed - diagBefore.CountFailed
			wrong := map[uint32]uint64{}
			var short uint64
			for _, pid := range noisePIDs {
				got, err := tr.Count(pid)
				require.NoError(t, err)
				require.LessOrEqual(t, got, uint64(noiseExecs), "noise process %d counted more execs than it made", pid)
				if got != noiseExecs {
					wrong[pid] = got
					short += noiseExecs - got
				}
			}
			// Only execs the kernel declared skipped (see Tracker.Missed)
			// may be missing; with no skips every count is exact.
			assert.LessOrEqual(t, short, declared, "noise processes (tgid: count) that did not count exactly %d of %d: %v; the kernel reported %d skipped runs (diag %+v)", noiseExecs, len(noisePIDs), wrong, missed, diag)
			t.Logf("%s: %d concurrent noise processes, lost %d events, kernel skipped the programs %d times, diag %+v", name, len(noisePIDs), tr.Lost(), missed, diag)
		})
	}
}

// scenario is one child run and what the tracker must report for it.
type scenario struct {
	name     string
	mode     string
	n        int            // exec calls counted for the child
	events   int            // events expected (0: n)
	files    map[string]int // expected events per filename
	execveat int            // expected events flagged execveat
}

func cases(ex *execer) []scenario {
	var cs []scenario
	for _, n := range []int{1, 3, 10, 50, 200} {
		cs = append(cs, scenario{name: fmt.Sprintf("execve/N=%d", n), mode: modeExecve, n: n,
			files: map[string]int{ex.file(modeExecve): n}})
	}
	// Started with execve (fork+exec), then 4 execveat calls.
	cs = append(cs, scenario{name: "execveat/N=5", mode: modeExecveat, n: 5,
		files: map[string]int{ex.file(modeExecveat): 5}, execveat: 4})
	// Started with execve (its count is then forgotten), then raceThreads
	// threads fail execve at once, racing to insert the first count.
	cs = append(cs, scenario{name: fmt.Sprintf("race/N=%d", raceThreads*raceCalls), mode: modeRace,
		n: raceThreads * raceCalls, events: 1 + raceThreads*raceCalls,
		files: map[string]int{ex.self: 1, raceMissing: raceThreads * raceCalls}})
	return cs
}

// checkExactly runs a child and checks the count and the events for its
// TGID.
func checkExactly(t *testing.T, tr *execve.Tracker, col *collector, ex *execer, c scenario) {
	timeout := 20*time.Second + time.Duration(c.n)*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	missedBefore, err := tr.Missed()
	require.NoError(t, err)
	diagBefore, err := tr.Diag()
	require.NoError(t, err)
	var tgid uint32
	if c.mode == modeRace {
		tgid, err = runRaceChild(ctx, tr, ex.self)
	} else {
		tgid, err = ex.run(ctx, c.mode, c.n)
	}
	require.NoError(t, err)
	events := c.events
	if events == 0 {
		events = c.n
	}

	got, err := tr.Count(tgid)
	require.NoError(t, err)
	diag, err := tr.Diag()
	require.NoError(t, err)
	missedAfter, err := tr.Missed()
	require.NoError(t, err)
	// The kernel skips a tracepoint program when bpf_prog_active is held
	// on that CPU (Tracker.Missed). Such skips, and only they, may explain
	// missing execs; with none the count must be exact.
	missed := int(missedAfter - missedBefore)
	minEvents := max(events-missed, 0)
	// An insert the kernel refused with EBUSY even after the program's
	// retries (its per-CPU bucket guard) is declared in diag; it shortens
	// the count, not the events. Any other insert failure is a bug.
	short := missed
	if failed := int(diag.CountFailed - diagBefore.CountFailed); failed > 0 {
		require.Equal(t, uint64(unix.EBUSY), diag.CountLastErrno, "count inserts failed with errno %d, not a transient EBUSY (diag %+v)", diag.CountLastErrno, diag)
		short += failed
		t.Logf("the kernel refused %d count inserts with EBUSY after retries (diag %+v)", failed, diag)
	}
	require.LessOrEqual(t, got, uint64(c.n), "tgid %d counted more execs than it made (diag %+v)", tgid, diag)
	if short == 0 {
		require.Equal(t, uint64(c.n), got, "expected %d execs for tgid %d, got %d (diag %+v, no skipped runs)", c.n, tgid, got, diag)
	} else {
		require.GreaterOrEqual(t, got+uint64(short), uint64(c.n), "expected %d execs for tgid %d, got %d; only %d were declared lost (diag %+v)", c.n, tgid, got, short, diag)
		t.Logf("kernel skipped the tracker %d times while tgid %d ran (bpf_prog_active held on that CPU); counted %d of %d", missed, tgid, got, c.n)
	}

	_, err = col.waitFor(ctx, tgid, minEvents)
	require.NoError(t, err, "events for tgid %d (transport %s, diag %+v, lost %d)", tgid, tr.Transport(), diag, tr.Lost())
	// A marker exec after the child has exited; once its event is in, any
	// late extra event of the child would have arrived too.
	fence(t, ctx, tr, col, ex)
	time.Sleep(100 * time.Millisecond) // perf rings of other CPUs are read in turn
	evs := col.events(tgid)
	if missed == 0 {
		require.Len(t, evs, events, "expected %d events for tgid %d", events, tgid)
	} else {
		require.LessOrEqual(t, len(evs), events, "events for tgid %d", tgid)
		require.GreaterOrEqual(t, len(evs), minEvents, "events for tgid %d with %d skipped runs", tgid, missed)
	}

	files := map[string]int{}
	execveat := 0
	for i, ev := range evs {
		files[ev.Filename]++
		if ev.Execveat {
			execveat++
		}
		assert.Equal(t, uint32(os.Getpid()), ev.PPID, "event %d: parent", i)
		assert.Equal(t, uint32(os.Getuid()), ev.UID, "event %d", i)
		assert.False(t, ev.FilenameFault, "event %d", i)
	}
	if missed == 0 {
		assert.Equal(t, c.files, files, "events by filename")
		assert.Equal(t, c.execveat, execveat, "events from execveat")
		return
	}
	for f, n := range files {
		assert.LessOrEqual(t, n, c.files[f], "events for filename %q", f)
	}
	assert.LessOrEqual(t, execveat, c.execveat, "events from execveat")
}

// fence runs a marker exec and waits for its event. The kernel may skip
// the marker's own run too (Tracker.Missed); its count then stays 0, no
// event will come, and another marker is tried.
func fence(t *testing.T, ctx context.Context, tr *execve.Tracker, col *collector, ex *execer) {
	t.Helper()
	const attempts = 10
	for range attempts {
		marker, err := ex.run(ctx, modeExecve, 1)
		require.NoError(t, err)
		n, err := tr.Count(marker)
		require.NoError(t, err)
		if n == 0 {
			continue
		}
		_, err = col.waitFor(ctx, marker, 1)
		require.NoError(t, err, "marker event for tgid %d (counted %d)", marker, n)
		return
	}
	t.Fatalf("the kernel skipped the tracker for %d marker execs in a row", attempts)
}

// execer starts the processes whose exec calls the scenario counts.
type execer struct {
	self  string            // the test binary: race mode, and the chain where execchain cannot run
	chain map[string]string // mode -> execchain program
}

// newExecer writes the exec chain programs. They make the same exec calls
// as the test binary in child mode, without a Go runtime starting at each
// one (~0.2 s per exec under TCG).
func newExecer(t *testing.T) *execer {
	self, err := os.Executable()
	require.NoError(t, err)
	ex := &execer{self: self}
	if err := execchain.Supported(); err != nil {
		t.Logf("%v: exec chains re-execute the test binary instead", err)
		return ex
	}
	dir := t.TempDir()
	ex.chain = map[string]string{}
	for mode, m := range map[string]execchain.Mode{modeExecve: execchain.Execve, modeExecveat: execchain.Execveat} {
		ex.chain[mode], err = execchain.Write(dir, m)
		require.NoError(t, err)
	}
	return ex
}

// file is the filename the events of a mode's exec calls carry.
func (ex *execer) file(mode string) string {
	if p, ok := ex.chain[mode]; ok {
		return p
	}
	return ex.self
}

// run starts a child making n exec calls in total (the first, execve, is
// the start itself; the others use mode) and returns its TGID.
func (ex *execer) run(ctx context.Context, mode string, n int) (uint32, error) {
	var cmd *exec.Cmd
	if p, ok := ex.chain[mode]; ok {
		cmd = execchain.Command(ctx, p, n)
	} else {
		cmd = exec.CommandContext(ctx, ex.self)
		cmd.Env = childEnv(os.Environ(), mode, n-1, ex.self)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return 0, fmt.Errorf("child making %d execs did not finish in time: %w (output: %s)", n, ctx.Err(), out)
	}
	if err != nil {
		return 0, fmt.Errorf("child making %d execs: %w (output: %s)", n, err, out)
	}
	return uint32(cmd.Process.Pid), nil
}

// runRaceChild starts a race-mode child, forgets its count once its
// threads are ready, then lets them go. It returns the child's TGID.
func runRaceChild(ctx context.Context, tr *execve.Tracker, self string) (uint32, error) {
	cmd := exec.CommandContext(ctx, self)
	// No asynchronous preemption: a SIGURG reaching a thread that waits
	// for cred_guard_mutex in execve makes the kernel restart the call
	// (ERESTARTNOINTR), a second sys_enter_execve the child did not mean.
	cmd.Env = append(childEnv(os.Environ(), modeRace, 0, self), "GODEBUG=asyncpreemptoff=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start race child: %w", err)
	}
	tgid := uint32(cmd.Process.Pid)
	fail := func(err error) (uint32, error) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, fmt.Errorf("race child %d: %w (stderr: %s)", tgid, err, stderr.String())
	}
	// The read ends when the child writes or dies (CommandContext kills it
	// at the deadline).
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		return fail(fmt.Errorf("waiting for \"ready\": got %q: %v (ctx: %v)", line, err, ctx.Err()))
	}
	if err := tr.Forget(tgid); err != nil {
		return fail(err)
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return fail(fmt.Errorf("send go: %w", err))
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("race child %d: %w (ctx: %v, stderr: %s)", tgid, err, ctx.Err(), stderr.String())
	}
	return tgid, nil
}

// collector reads all events in one goroutine and files them by TGID.
type collector struct {
	mu     sync.Mutex
	byTGID map[uint32][]execve.Event
	err    error
}

func newCollector() *collector { return &collector{byTGID: make(map[uint32][]execve.Event)} }

func (c *collector) run(ctx context.Context, tr *execve.Tracker) {
	for {
		ev, err := tr.ReadEvent(ctx)
		c.mu.Lock()
		if err != nil {
			if ctx.Err() == nil {
				c.err = err
			}
			c.mu.Unlock()
			return
		}
		c.byTGID[ev.TGID] = append(c.byTGID[ev.TGID], ev)
		c.mu.Unlock()
	}
}

func (c *collector) events(tgid uint32) []execve.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]execve.Event(nil), c.byTGID[tgid]...)
}

// waitFor waits until at least n events of tgid arrived.
func (c *collector) waitFor(ctx context.Context, tgid uint32, n int) ([]execve.Event, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		evs, err := c.byTGID[tgid], c.err
		c.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("event reader stopped: %w", err)
		}
		if len(evs) >= n {
			return append([]execve.Event(nil), evs...), nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waited for %d events of tgid %d, got %d: %w", n, tgid, len(evs), ctx.Err())
		case <-tick.C:
		}
	}
}

// noise keeps other processes exec'ing while the scenario runs.
type noise struct {
	cancel context.CancelFunc
	done   chan struct{}
	first  chan struct{} // closed when the first noise process completed
	once   sync.Once
	mu     sync.Mutex
	pids   []uint32
	err    error
}

func startNoise(parent context.Context, ex *execer) *noise {
	ctx, cancel := context.WithCancel(parent)
	nz := &noise{cancel: cancel, done: make(chan struct{}), first: make(chan struct{})}
	var wg sync.WaitGroup
	for range noiseWorkers {
		wg.Go(func() { nz.loop(ctx, ex) })
	}
	go func() {
		wg.Wait()
		close(nz.done)
	}()
	return nz
}

func (nz *noise) loop(ctx context.Context, ex *execer) {
	for ctx.Err() == nil {
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		pid, err := ex.run(cctx, modeExecve, noiseExecs)
		ccancel()
		// A pause between noise processes: exec chains are so cheap that
		// two unpaced workers would take most of a TCG guest's CPU.
		select {
		case <-ctx.Done():
		case <-time.After(noisePause):
		}
		nz.mu.Lock()
		if err == nil {
			nz.pids = append(nz.pids, pid)
			nz.once.Do(func() { close(nz.first) })
		} else if ctx.Err() == nil {
			nz.err = err
			nz.mu.Unlock()
			return
		}
		nz.mu.Unlock()
	}
}

// stop ends the noise, once at least one noise process completed, and
// returns the PIDs of the noise processes that completed.
func (nz *noise) stop(t *testing.T) []uint32 {
	select {
	case <-nz.first:
	case <-nz.done:
	case <-time.After(30 * time.Second):
		t.Error("no noise process completed within 30s")
	}
	nz.cancel()
	select {
	case <-nz.done:
	case <-time.After(30 * time.Second):
		t.Fatal("noise generator did not stop within 30s")
	}
	nz.mu.Lock()
	defer nz.mu.Unlock()
	require.NoError(t, nz.err, "noise process")
	return nz.pids
}
