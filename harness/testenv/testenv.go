// Package testenv prepares the kernel-facing environment scenario tests need
// (root, bpffs, tracefs, memlock) and skips with a probed reason otherwise.
// It works the same on the host and as a guest inside a VM.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/bpflab/bpflab/internal/pseudofs"
)

const (
	BPFFS   = pseudofs.BPFFS
	Tracefs = pseudofs.Tracefs
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

// Prepare is Setup without testing.TB, for TestMain and runners.
func Prepare() error {
	if os.Geteuid() != 0 {
		return errors.New("scenarios need root (they load BPF programs and create network namespaces); run them with sudo or through `make test`")
	}
	return pseudofs.Prepare(os.Stderr)
}

// EnsureMount mounts a pseudo filesystem of type fstype at dir unless one
// is mounted there already, and says so on stderr.
func EnsureMount(dir, fstype string) error {
	mounted, err := pseudofs.Ensure(dir, fstype)
	if mounted {
		fmt.Fprintf(os.Stderr, "testenv: mounted %s at %s\n", fstype, dir)
	}
	return err
}
