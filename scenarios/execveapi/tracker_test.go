package execveapi_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/execchain"
)

func load(t *testing.T, opts execve.Options) *execve.Tracker {
	t.Helper()
	testenv.Setup(t)
	tr, err := execve.Load(opts)
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		t.Fatalf("verifier: %+v", ve)
	}
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tr.Close()) })
	return tr
}

func TestLoadedButNotAttachedIsDetectable(t *testing.T) {
	tr := load(t, execve.Options{})
	assert.False(t, tr.Attached())
	_, err := tr.Count(1)
	assert.ErrorIs(t, err, execve.ErrNotAttached)
	_, err = tr.Counts()
	assert.ErrorIs(t, err, execve.ErrNotAttached)
	_, err = tr.ReadEvent(context.Background())
	assert.ErrorIs(t, err, execve.ErrNotAttached)
}

func TestAttachCountsAndReports(t *testing.T) {
	for _, forcePerf := range []bool{false, true} {
		want := execve.TransportRingbuf
		if forcePerf {
			want = execve.TransportPerf
		}
		t.Run(want, func(t *testing.T) {
			tr := load(t, execve.Options{ForcePerf: forcePerf})
			if !forcePerf {
				probe.SkipFallback(t, probe.RingBuf, tr.Transport() == want, "execve tracker transport (chose "+tr.Transport()+")")
			}
			require.Equal(t, want, tr.Transport())
			require.NoError(t, tr.Attach())
			require.True(t, tr.Attached())

			tgid, file := oneExec(t)

			n, err := tr.Count(tgid)
			require.NoError(t, err)
			assert.Equal(t, uint64(1), n, "execs counted for tgid %d", tgid)
			all, err := tr.Counts()
			require.NoError(t, err)
			assert.Equal(t, uint64(1), all[tgid])

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for {
				ev, err := tr.ReadEvent(ctx)
				require.NoError(t, err, "waiting for the exec event of tgid %d", tgid)
				if ev.TGID != tgid {
					continue
				}
				assert.Equal(t, file, ev.Filename)
				assert.False(t, ev.FilenameFault)
				assert.False(t, ev.Execveat)
				assert.Equal(t, uint32(0), ev.UID)
				assert.NotZero(t, ev.PPID)
				assert.NotEmpty(t, ev.Comm)
				break
			}
			d, err := tr.Diag()
			require.NoError(t, err)
			assert.Zero(t, d.CountFailed)
		})
	}
}

func TestReadEventHonoursDeadline(t *testing.T) {
	// Events only for a process that does not exist: nothing ever arrives.
	tr := load(t, execve.Options{EventTGID: 1<<31 - 1})
	require.NoError(t, tr.Attach())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := tr.ReadEvent(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// TestCloseInterruptsReadEvent: Close from another goroutine ends a
// waiting ReadEvent with os.ErrClosed, on both transports. (The 7.x crash
// this guards against needed Close to land between two polls of the
// loop, a window too narrow to hit on purpose; ReadEvent now keeps its own
// reference to the reader, so that window is gone by construction.)
func TestCloseInterruptsReadEvent(t *testing.T) {
	for _, forcePerf := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "perf"}[forcePerf], func(t *testing.T) {
			testenv.Setup(t)
			// Events only for a process that does not exist: ReadEvent waits.
			tr, err := execve.Load(execve.Options{EventTGID: 1<<31 - 1, ForcePerf: forcePerf})
			require.NoError(t, err)
			require.NoError(t, tr.Attach())
			done := make(chan error, 1)
			go func() {
				_, err := tr.ReadEvent(context.Background())
				done <- err
			}()
			time.Sleep(150 * time.Millisecond) // let it wait in the reader
			require.NoError(t, tr.Close())
			select {
			case err := <-done:
				require.ErrorIs(t, err, os.ErrClosed)
			case <-time.After(5 * time.Second):
				t.Fatal("ReadEvent still waiting 5s after Close")
			}
			_, err = tr.ReadEvent(context.Background())
			require.ErrorIs(t, err, execve.ErrNotAttached, "a closed tracker reads nothing")
		})
	}
}

func TestForget(t *testing.T) {
	tr := load(t, execve.Options{})
	require.NoError(t, tr.Attach())
	tgid, _ := oneExec(t)
	n, err := tr.Count(tgid)
	require.NoError(t, err)
	require.Equal(t, uint64(1), n)
	require.NoError(t, tr.Forget(tgid))
	n, err = tr.Count(tgid)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.NoError(t, tr.Forget(tgid), "forgetting twice")
}

// oneExec starts a process that makes exactly one exec call (its own start)
// and returns its TGID and the filename the call passed. It uses a static
// exec chain, which runs in the matrix VMs (no /bin/true there).
func oneExec(t *testing.T) (uint32, string) {
	t.Helper()
	if err := execchain.Supported(); err != nil {
		t.Skipf("%v", err)
	}
	p, err := execchain.Write(t.TempDir(), execchain.Execve)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := execchain.Command(ctx, p, 1)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "exec chain %s: %s", p, out)
	return uint32(cmd.Process.Pid), p
}
