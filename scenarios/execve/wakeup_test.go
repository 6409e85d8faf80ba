package execve_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
)

// Ring buffer wakeup: the reader's poll period (pollInterval in
// bpf/execve/events.go), the bound a woken read must beat, and tries.
const (
	readerPoll      = 100 * time.Millisecond
	wakeupBound     = readerPoll / 2
	wakeupAttempts  = 5
	wakeupMissingAt = "/nonexistent/bpflab-execve-wakeup"
)

// TestRingbufWakesReader kills the mutant that submits events with
// BPF_RB_NO_WAKEUP: the events still arrive, but only when the reader's
// poll deadline (readerPoll) ends its wait, so no count or event test saw
// it. Here an exec comes first and the read after it: a submit that wakes
// the ring's waiters has marked it ready by then, and the read returns at
// once; without a wakeup it waits the full poll period, every time. One
// fast read of wakeupAttempts passes, so a loaded (TCG) guest that is late
// once does not fail it.
func TestRingbufWakesReader(t *testing.T) {
	testenv.Setup(t)
	self := uint32(os.Getpid())
	tr, err := execve.Load(execve.Options{EventTGID: self})
	require.NoError(t, err)
	defer func() { assert.NoError(t, tr.Close()) }()
	probe.SkipFallback(t, probe.RingBuf, tr.Transport() == execve.TransportRingbuf, "execve tracker transport (chose "+tr.Transport()+")")
	require.NoError(t, tr.Attach())

	var took []time.Duration
	for range wakeupAttempts {
		// A read that times out leaves the reader drained and waiting
		// for a wakeup, as a reader that found nothing is.
		short, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_, err := tr.ReadEvent(short)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "an event of this process before its exec")

		missed, err := tr.Missed()
		require.NoError(t, err)
		require.NoError(t, rawExec(wakeupMissingAt, false))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		ev, err := tr.ReadEvent(ctx)
		d := time.Since(start)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			now, merr := tr.Missed()
			require.NoError(t, merr)
			require.NotEqual(t, missed, now, "no event of the exec in 10 s, and the kernel skipped no run")
			continue // the kernel skipped the tracker (Tracker.Missed): no event
		}
		require.NoError(t, err)
		require.Equal(t, self, ev.TGID)
		require.Equal(t, wakeupMissingAt, ev.Filename)
		took = append(took, d)
		if d < wakeupBound {
			t.Logf("read after the exec returned in %v (attempts: %v)", d, took)
			return
		}
	}
	t.Fatalf("each read after an exec took %v or more (%v): the submit did not wake the reader, which found the event only at its %v poll deadline", wakeupBound, took, readerPoll)
}
