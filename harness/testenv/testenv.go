// Package testenv prepares the kernel-facing environment scenario tests need
// (root, bpffs, tracefs, memlock) and skips with a probed reason otherwise.
// It works the same on the host and as a guest inside a VM.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

const (
	BPFFS   = "/sys/fs/bpf"
	Tracefs = "/sys/kernel/tracing"
)

// Setup fails the test unless it runs as root, and makes sure bpffs and
// tracefs are mounted and the memlock rlimit does not limit BPF maps (kernels
// before 5.11 charge maps against it).
func Setup(tb testing.TB) {
	tb.Helper()
	if err := Prepare(); err != nil {
		tb.Fatal(err)
	}
}

// Prepare is Setup without testing.TB, for CLIs and runners.
func Prepare() error {
	if os.Geteuid() != 0 {
		return errors.New("scenarios need root (they load BPF programs and create network namespaces); run them with sudo or through `make test`")
	}
	if err := EnsureMount(BPFFS, "bpf"); err != nil {
		return err
	}
	if err := EnsureMount(Tracefs, "tracefs"); err != nil {
		return err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("remove memlock rlimit: %w", err)
	}
	return nil
}

// EnsureMount mounts a pseudo filesystem of type fstype at dir unless one
// is mounted there already.
func EnsureMount(dir, fstype string) error {
	mounted, err := isMounted(dir, fstype)
	if err != nil {
		return err
	}
	if mounted {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s mount point %s: %w", fstype, dir, err)
	}
	if err := unix.Mount(fstype, dir, fstype, 0, ""); err != nil {
		return fmt.Errorf("mount %s at %s: %w", fstype, dir, err)
	}
	fmt.Fprintf(os.Stderr, "testenv: mounted %s at %s\n", fstype, dir)
	return nil
}

func isMounted(dir, fstype string) (bool, error) {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false, fmt.Errorf("read /proc/self/mounts (is /proc mounted?): %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == dir && f[2] == fstype {
			return true, nil
		}
	}
	return false, nil
}
