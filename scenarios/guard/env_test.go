package guard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	bpfguard "github.com/bpflab/bpflab/bpf/guard"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/guard"
)

// env is one enabled guard and where its children run.
type env struct {
	pinDir    string
	cgroupDir string // "" under system scope
	scope     guard.Scope
}

var envSeq atomic.Int64

// inGuest says whether this binary is the only workload of a VM: the
// bpflab guest runner sets BPFLAB_GUEST=1 for the binaries it runs.
func inGuest() bool { return os.Getenv("BPFLAB_GUEST") == "1" }

// requireBPFLSM skips, stating the probe's answer, where the kernel cannot
// run the guard for a reason of its build: no BPF LSM hooks at all
// (CONFIG_BPF_LSM off, Debian's s390x 6.1), or LSM programs that load but
// cannot attach (no BPF trampoline for LSM hooks: arm64 6.1). On x86-64,
// which has had LSM trampolines since BPF LSM itself (5.7), either is a
// failure, as is an inactive bpf LSM (the VM backends boot with lsm=...,bpf)
// or a kernel of a bpflab VM that refuses LSM program loads.
func requireBPFLSM(t testing.TB) {
	t.Helper()
	err := bpfguard.ProbeLSM()
	switch {
	case err == nil:
	case (errors.Is(err, bpfguard.ErrNoLSMHooks) || errors.Is(err, bpfguard.ErrNoLSMAttach)) && runtime.GOARCH != "amd64":
		t.Skipf("the guard cannot run on this %s kernel (probed: %v); it is the enforcement point only where the kernel has BPF LSM", runtime.GOARCH, err)
	case inGuest() || errors.Is(err, bpfguard.ErrNoLSMHooks) || errors.Is(err, bpfguard.ErrNoLSMAttach):
		t.Fatalf("the kernel of a bpflab VM must run BPF LSM programs: %v", err)
	default:
		t.Skipf("this kernel refuses BPF LSM programs although %s/lsm lists bpf (probed: %v); the guard scenarios run in the VM kernels", guard.SecurityFS, err)
	}
	if err := guard.RequireBPFLSM(); err != nil {
		t.Fatalf("guard scenarios need the bpf LSM (the VM backends boot with lsm=...,bpf): %v", err)
	}
}

// newEnv prepares a scope and a pin directory, without enabling. On the
// host the scope is a fresh cgroup: the host kernel is shared, and a
// system-wide guard would refuse every other BPF user on it.
func newEnv(t testing.TB) *env {
	t.Helper()
	testenv.Setup(t)
	requireBPFLSM(t)
	// Unique per call: a benchmark function runs more than once.
	name := fmt.Sprintf("bpflab-guard-%d-%d-%s", os.Getpid(), envSeq.Add(1), strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()))
	e := &env{pinDir: filepath.Join(testenv.BPFFS, name)}
	if inGuest() {
		t.Logf("scope system: BPFLAB_GUEST=1, this test binary is the VM's only workload")
		return e
	}
	root, err := guard.Cgroup2Mount()
	require.NoError(t, err, "host runs need a cgroup v2 hierarchy to scope the guard")
	e.cgroupDir = filepath.Join(root, name)
	require.NoError(t, os.Mkdir(e.cgroupDir, 0o755))
	t.Cleanup(func() { removeCgroup(t, e.cgroupDir) })
	_, id, err := guard.CgroupDir(e.cgroupDir)
	require.NoError(t, err)
	e.scope = guard.Scope{CgroupPath: e.cgroupDir, CgroupID: id}
	t.Logf("scope %s: not in a bpflab VM (BPFLAB_GUEST unset), so only this test's children are subject to the guard", e.scope)
	return e
}

// enable enables the guard and registers its removal, which runs even when
// the test fails.
func (e *env) enable(t testing.TB, trust ...string) *guard.Status {
	t.Helper()
	t.Cleanup(func() {
		if guard.Enabled(e.pinDir) {
			if err := guard.Disable(e.pinDir); err != nil {
				t.Errorf("cleanup: disable guard: %v", err)
			}
		}
	})
	st, err := guard.Enable(guard.Config{PinDir: e.pinDir, Scope: e.scope, Trust: trust})
	require.NoError(t, err)
	t.Logf("guard enabled: scope %s, hooks %v", st.Scope, st.Hooks)
	return st
}

// removeCgroup waits for the children to be gone, then removes the cgroup.
func removeCgroup(t testing.TB, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := unix.Rmdir(dir)
		if err == nil || os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("cleanup: remove cgroup %s: %v", dir, err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// denial waits up to 10 s for the guard's denial of cmd by process tgid.
func (e *env) denial(t *testing.T, tgid int, cmd uint32) guard.Denial {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got guard.Denial
	found := false
	err := guard.Log(ctx, e.pinDir, func(d guard.Denial) bool {
		t.Logf("guard log: %v", d)
		if int(d.TGID) == tgid && d.Cmd == cmd {
			got, found = d, true
			return false
		}
		return true
	})
	if !found {
		t.Fatalf("no denial of %s by pid %d in the guard's log within 10s (log ended: %v)", guard.CmdName(cmd), tgid, err)
	}
	return got
}
