package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Deadlines for the external commands the store runs. Downloads are
// generous: ~300 MB/s is typical, but a slow mirror must not look like a hang.
const (
	queryTimeout    = 2 * time.Minute  // apt-cache
	updateTimeout   = 5 * time.Minute  // apt-get update
	downloadTimeout = 20 * time.Minute // apt-get download
	extractTimeout  = 5 * time.Minute  // dpkg-deb -x
)

// CommandError is an external command that failed, with its stderr.
type CommandError struct {
	Cmd    string
	Err    error
	Stderr string
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Cmd, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + tail(s, 2000)
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// run executes name with args in dir under its own deadline and returns
// stdout. A timeout is reported as such, naming the command.
func run(ctx context.Context, timeout time.Duration, dir, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s", timeout)
		}
		return stdout.Bytes(), &CommandError{Cmd: shortCmd(name, args), Err: err, Stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// shortCmd renders a command line without the long -o Dir::... options.
func shortCmd(name string, args []string) string {
	parts := []string{name}
	for i := 0; i < len(args); i++ {
		if args[i] == "-o" && i+1 < len(args) {
			i++
			continue
		}
		parts = append(parts, args[i])
	}
	return strings.Join(parts, " ")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
