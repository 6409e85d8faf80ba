package mutate

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// goCommand runs the go command in its own process group and kills the
// whole group when ctx ends: `go test` starts the test binaries as its
// children, and killing only `go` would leave a hung test binary running
// (orphaned) after its mutant's deadline.
func goCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}
