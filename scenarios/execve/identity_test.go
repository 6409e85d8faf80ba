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
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/testenv"
)

// identChild is what the identity child reported about itself.
type identChild struct {
	tgid     uint32
	uid, gid uint32
	tids     map[int]uint32 // thread index -> thread id
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stderr   *bytes.Buffer
}

// startIdentChild starts the identity child and reads its report up to
// "ready"; the threads then wait for go().
func startIdentChild(ctx context.Context, self string) (*identChild, error) {
	cmd := exec.CommandContext(ctx, self)
	// No asynchronous preemption: see runRaceChild (a SIGURG restarts an
	// execve waiting on cred_guard_mutex, an extra call).
	cmd.Env = append(childEnv(os.Environ(), modeIdent, 0, self), "GODEBUG=asyncpreemptoff=1")
	c := &identChild{tids: map[int]uint32{}, cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start identity child: %w", err)
	}
	c.tgid = uint32(cmd.Process.Pid)
	rd := bufio.NewReader(stdout)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			c.kill()
			return nil, fmt.Errorf("identity child %d: reading its report: %w (ctx %v, stderr: %s)", c.tgid, err, ctx.Err(), c.stderr)
		}
		var i int
		var tid uint32
		switch {
		case line == "ready\n":
			return c, nil
		case strings.HasPrefix(line, "uid "):
			_, err = fmt.Sscanf(line, "uid %d gid %d\n", &c.uid, &c.gid)
		case strings.HasPrefix(line, "tid "):
			_, err = fmt.Sscanf(line, "tid %d %d\n", &i, &tid)
			c.tids[i] = tid
		default:
			err = errors.New("unexpected line")
		}
		if err != nil {
			c.kill()
			return nil, fmt.Errorf("identity child %d: line %q: %v", c.tgid, line, err)
		}
	}
}

func (c *identChild) kill() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

func (c *identChild) run() error {
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		c.kill()
		return fmt.Errorf("identity child %d: send go: %w", c.tgid, err)
	}
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("identity child %d: %w (stderr: %s)", c.tgid, err, c.stderr)
	}
	return nil
}

// TestEventIdentities checks every event field against a value known
// independently of the program, in a set-up where all of them differ: the
// thread id (gettid in each thread) differs from the process id
// (fork's answer), which differs from the parent (this process); uid and
// gid differ and neither is 0; each thread has its own name; execve and
// execveat both occur; several threads make the process's first counted
// calls at once. A program that fills one field from another's source,
// or counts the wrong call, disagrees here.
func TestEventIdentities(t *testing.T) {
	testenv.Setup(t)
	self, err := os.Executable()
	require.NoError(t, err)
	ex := newExecer(t)
	tr, err := execve.Load(execve.Options{})
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		t.Fatalf("load execve tracker: %+v", ve)
	}
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tr.Close()) })
	require.NoError(t, tr.Attach())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	col := newCollector()
	go col.run(ctx, tr)

	const trials = 3
	for trial := range trials {
		t.Run(fmt.Sprintf("trial%d", trial), func(t *testing.T) {
			c, err := startIdentChild(ctx, self)
			require.NoError(t, err)
			// The set-up must make every mix-up visible.
			require.Equal(t, uint32(identUID), c.uid, "child's uid after setresuid")
			require.Equal(t, uint32(identGID), c.gid, "child's gid after setresgid")
			require.Len(t, c.tids, identThreads+1)
			require.Equal(t, c.tgid, c.tids[0], "main thread id is the process id")
			ids := map[uint32]string{uint32(os.Getpid()): "parent", identUID: "uid", identGID: "gid", 0: "root"}
			for i, tid := range c.tids {
				if i == 0 {
					continue
				}
				require.NotContains(t, ids, tid, "thread %d id %d must differ from the other identities", i, tid)
				ids[tid] = fmt.Sprintf("thread %d", i)
			}
			require.NotContains(t, ids, c.tgid)
			ids[c.tgid] = "tgid"

			missedBefore, err := tr.Missed()
			require.NoError(t, err)
			diagBefore, err := tr.Diag()
			require.NoError(t, err)
			// The start exec is counted; forget it so the threads race on
			// the first insert.
			require.NoError(t, tr.Forget(c.tgid))
			require.NoError(t, c.run())

			want := 2 * (identThreads + 1)
			got, err := tr.Count(c.tgid)
			require.NoError(t, err)
			missedAfter, err := tr.Missed()
			require.NoError(t, err)
			diag, err := tr.Diag()
			require.NoError(t, err)
			declared := int(missedAfter-missedBefore) + int(diag.CountFailed-diagBefore.CountFailed)
			require.LessOrEqual(t, got, uint64(want), "tgid %d counted more calls than it made", c.tgid)
			require.GreaterOrEqual(t, int(got)+declared, want, "count of tgid %d (diag %+v)", c.tgid, diag)

			fence(t, ctx, tr, col, ex)
			time.Sleep(100 * time.Millisecond) // perf rings of other CPUs are read in turn
			seen := 0
			for _, ev := range col.events(c.tgid) {
				if !strings.HasPrefix(ev.Filename, identPrefix) {
					continue // the child's own start
				}
				seen++
				var i int
				var call string
				_, err := fmt.Sscanf(strings.TrimPrefix(ev.Filename, identPrefix), "%d-%s", &i, &call)
				require.NoError(t, err, "event filename %q", ev.Filename)
				assert.Equal(t, int(c.tids[i]), int(ev.PID), "%s: pid (thread id) of thread %d; ids in play: %v", ev.Filename, i, ids)
				assert.Equal(t, int(c.tgid), int(ev.TGID), "%s: tgid", ev.Filename)
				assert.Equal(t, os.Getpid(), int(ev.PPID), "%s: ppid", ev.Filename)
				assert.Equal(t, identUID, int(ev.UID), "%s: uid (gid is %d)", ev.Filename, identGID)
				assert.Equal(t, call == "execveat", ev.Execveat, "%s: execveat flag", ev.Filename)
				assert.Equal(t, identComm(i), ev.Comm, "%s: comm of thread %d", ev.Filename, i)
				assert.False(t, ev.FilenameFault, "%s", ev.Filename)
			}
			if declared == 0 {
				assert.Equal(t, want, seen, "events of tgid %d", c.tgid)
			} else {
				assert.GreaterOrEqual(t, seen+int(missedAfter-missedBefore), want, "events of tgid %d", c.tgid)
			}
		})
	}
}
