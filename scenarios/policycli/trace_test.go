package policycli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/testenv"
)

// TestTraceExecve: `trace execve --json --counts` streams the execs of a
// process as they happen, and SIGINT ends it cleanly (exit 0, counts
// printed, tracepoint detached).
func TestTraceExecve(t *testing.T) {
	testenv.Setup(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()

	// The process whose execs are traced: a CLI child that re-executes
	// itself (`trace` with bad arguments exits at once) when told to.
	target := exec.CommandContext(ctx, exe)
	target.Env = append(os.Environ(), "BPFLAB_POLICYCLI_EXECS=3")
	stdin, err := target.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, target.Start())
	defer target.Wait()
	defer stdin.Close()

	tr := exec.CommandContext(ctx, exe, "trace", "execve", "--json", "--counts", "--pid", itoa(target.Process.Pid))
	tr.Env = append(os.Environ(), envChild+"=1")
	out, err := tr.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	tr.Stderr = &stderr
	require.NoError(t, tr.Start())

	// Wait until the tracer says it is attached, then let the target exec.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "tracing execve") {
		require.True(t, time.Now().Before(deadline), "tracer did not attach within 30s: %s", stderr.String())
		time.Sleep(10 * time.Millisecond)
	}
	_, err = stdin.Write([]byte("go\n"))
	require.NoError(t, err)

	sc := bufio.NewScanner(out)
	events := 0
	for events < 3 && sc.Scan() {
		var ev struct {
			TGID     uint32
			Filename string
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "event line %q", sc.Text())
		assert.Equal(t, uint32(target.Process.Pid), ev.TGID, "--pid filters events")
		events++
	}
	require.Equal(t, 3, events, "events streamed before the tracer was stopped (stderr: %s)", stderr.String())

	require.NoError(t, tr.Process.Signal(syscall.SIGINT))
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	require.NoError(t, tr.Wait(), "SIGINT ends the tracer cleanly (stderr: %s)", stderr.String())
	assert.Contains(t, rest.String(), `"counts"`, "--counts prints the per-PID table at exit")
	assert.Contains(t, rest.String(), `"`+itoa(target.Process.Pid)+`":3`, "the target's three execs are counted")
}

// helperExecs runs in a child started with BPFLAB_POLICYCLI_EXECS=N (from
// TestMain): it waits for a line on stdin and then execs itself N times (the
// exec'd copies count down), so the tracer sees N execve calls of one PID.
func helperExecs(n string) int {
	if n != "0" && os.Getenv("BPFLAB_POLICYCLI_STARTED") == "" {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	if n == "0" {
		return 0
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper execs: %v\n", err)
		return 1
	}
	next := atoi(n) - 1
	// syscall.Exec does not dedupe the environment (the first entry wins).
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BPFLAB_POLICYCLI_") {
			env = append(env, kv)
		}
	}
	env = append(env, "BPFLAB_POLICYCLI_EXECS="+itoa(next), "BPFLAB_POLICYCLI_STARTED=1")
	err = syscall.Exec(exe, []string{exe}, env)
	fmt.Fprintf(os.Stderr, "helper execs: exec %s: %v\n", exe, err)
	return 1
}
