package policycli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/harness/netlab"
	bpflab "github.com/bpflab/bpflab/internal/cli"
)

// Child mode: the test binary is the bpflab CLI.
const (
	envChild    = "BPFLAB_POLICYCLI_CHILD"
	envDropCaps = "BPFLAB_POLICYCLI_DROPCAPS" // drop every capability first
)

const cliTimeout = 120 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(child(os.Args[1:]))
	}
	if n := os.Getenv("BPFLAB_POLICYCLI_EXECS"); n != "" {
		os.Exit(helperExecs(n))
	}
	os.Exit(m.Run())
}

// child runs one CLI command like cmd/bpflab does and returns its status.
func child(args []string) int {
	if os.Getenv(envDropCaps) != "" {
		if err := dropAllCaps(); err != nil {
			fmt.Fprintf(os.Stderr, "drop capabilities: %v\n", err)
			return 1
		}
	}
	return bpflab.MainWith(bpflab.OperatorCommands(), args, os.Stdout, os.Stderr)
}

// dropAllCaps clears the capability sets of the calling thread and locks
// the goroutine to it: capset is per thread, the CLI runs on this
// goroutine, and privilege.Check reads /proc/thread-self.
// (syscall.AllThreadsSyscall would do all threads but refuses with cgo.)
func dropAllCaps() error {
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	return unix.Capset(&hdr, &data[0])
}

// result is what one CLI run did.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("bpflab %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// cli runs the CLI in a separate process inside ns (nil: this process's
// namespace) and waits for it with a deadline.
func cli(t *testing.T, ns *netlab.Namespace, env []string, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find own executable: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(append(os.Environ(), envChild+"=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Started on a thread inside ns, the child inherits that namespace.
	if ns != nil {
		err = ns.Do(cmd.Start)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		t.Fatalf("start CLI child %v: %v", args, err)
	}
	err = cmd.Wait()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("CLI child did not finish within %v (hung in the command)\n%s", cliTimeout, r)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("wait for CLI child: %v", err)
	}
	t.Logf("$ bpflab %s  -> exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// mustCLI runs the CLI and requires exit status 0.
func mustCLI(t *testing.T, ns *netlab.Namespace, args ...string) result {
	t.Helper()
	r := cli(t, ns, nil, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}
