package policy_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
)

// Environment of the child mode: the test binary, started with these set,
// edits the pinned blocklist and exits instead of running tests.
const (
	envOp     = "BPFLAB_POLICY_CHILD" // "block" or "unblock"
	envPinDir = "BPFLAB_POLICY_PINDIR"
	envPrefix = "BPFLAB_POLICY_PREFIX"
)

func TestMain(m *testing.M) {
	if op := os.Getenv(envOp); op != "" {
		if err := child(op, os.Getenv(envPinDir), os.Getenv(envPrefix)); err != nil {
			fmt.Fprintf(os.Stderr, "policy child: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a separate policy process: it opens the pinned maps and edits
// the live blocklist.
func child(op, pinDir, prefix string) error {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", envPrefix, prefix, err)
	}
	if pinDir == "" {
		return fmt.Errorf("%s is empty: the child needs the pinned map directory", envPinDir)
	}
	if err := testenv.Prepare(); err != nil {
		return err
	}
	fw, err := firewall.Load(firewall.Options{PinDir: pinDir})
	if err != nil {
		return err
	}
	defer fw.Close()
	switch op {
	case "block":
		return fw.Block(p)
	case "unblock":
		return fw.Unblock(p)
	}
	return fmt.Errorf("%s=%q: want block or unblock", envOp, op)
}

// runChild re-executes this test binary as a separate policy process.
func runChild(op, pinDir string, p netip.Prefix) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envOp+"="+op, envPinDir+"="+pinDir, envPrefix+"="+p.String())
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("policy child (%s %s) did not finish within 60s: %s", op, p, out)
	}
	if err != nil {
		return fmt.Errorf("policy child (%s %s): %w: %s", op, p, err, out)
	}
	return nil
}
