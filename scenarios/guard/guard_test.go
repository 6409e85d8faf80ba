package guard

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	bpfguard "github.com/bpflab/bpflab/bpf/guard"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/guard"
)

const capBPF = 39 // CAP_BPF, 5.8+

func untrustedRoot() who { return who{name: "untrusted root", exe: untrustedExe} }
func untrustedCapBPF() who {
	return who{name: "untrusted uid 65534 with CAP_BPF", exe: untrustedExe, uid: nobodyUID, caps: []uintptr{capBPF}}
}
func trusted(t *testing.T) who {
	self, err := os.Executable()
	require.NoError(t, err)
	return who{name: "trusted root (this binary)", exe: self}
}

func exeIno(t *testing.T, path string) (uint64, uint32) {
	var st unix.Stat_t
	require.NoError(t, unix.Stat(path, &st))
	return st.Ino, guard.KernelDev(st.Dev)
}

// TestUntrustedLoaderRefused: the same untrusted binary creates a map and
// loads a program before the guard (so the refusal is the guard's, not a
// missing capability) and is refused with EPERM and an audit event after.
func TestUntrustedLoaderRefused(t *testing.T) {
	e := newEnv(t)
	ino, dev := exeIno(t, untrustedExe)
	cases := []struct {
		w   who
		job string
		cmd uint32
		uid uint32
	}{
		{untrustedRoot(), "map-create", unix.BPF_MAP_CREATE, 0},
		{untrustedRoot(), "prog-load", unix.BPF_PROG_LOAD, 0},
		{untrustedCapBPF(), "map-create", unix.BPF_MAP_CREATE, nobodyUID},
		{untrustedCapBPF(), "prog-load", unix.BPF_PROG_LOAD, nobodyUID},
	}
	for _, c := range cases {
		res, _ := runChild(t, c.w, e.cgroupDir, c.job, "")
		require.Equal(t, "ok", res, "control: %s %s without the guard", c.w.name, c.job)
	}
	e.enable(t)
	for _, c := range cases {
		t.Run(c.w.name+"/"+c.job, func(t *testing.T) {
			res, pid := runChild(t, c.w, e.cgroupDir, c.job, "")
			require.True(t, strings.HasPrefix(res, "errno 1 "), "want EPERM from the guard, got %s", res)
			d := e.denial(t, pid, c.cmd)
			assert.Equal(t, uint32(pid), d.PID, "single-threaded child: pid == tgid")
			assert.Equal(t, c.uid, d.UID)
			assert.Equal(t, ino, d.ExeIno, "exe inode")
			assert.Equal(t, dev, d.ExeDev, "exe device")
			assert.Equal(t, bpfguard.HookBPF, d.Hook)
			assert.Equal(t, bpfguard.ReasonUntrusted, d.Reason)
			assert.Equal(t, "untrusted.test", d.Comm)
			if e.scope.CgroupID != 0 {
				assert.Equal(t, e.scope.CgroupID, d.CgroupID, "the child ran in the scope cgroup")
			}
		})
	}
	st, err := guard.ReadStatus(e.pinDir)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, st.Counts["bpf"].Denied, uint64(len(cases)))
	assert.Zero(t, st.Counts["bpf"].EventsLost)
}

// TestTrustedLoadersWork: bpflab's own firewall and tracker load and work
// under the guard, in its scope, from the trusted binary.
func TestTrustedLoadersWork(t *testing.T) {
	e := newEnv(t)
	e.enable(t)
	res, _ := runChild(t, trusted(t), e.cgroupDir, "loaders", "")
	require.Equal(t, "ok", res)
	st, err := guard.ReadStatus(e.pinDir)
	require.NoError(t, err)
	assert.NotZero(t, st.Counts["bpf"].Allowed, "the trusted child's loads went through the guard")
	assert.Zero(t, st.Counts["bpf"].Denied, "nothing of bpflab's own work was refused")
	for _, h := range []string{"bpf_prog_load", "bpf_map_create"} {
		if contains(st.Hooks, h) {
			assert.NotZero(t, st.Counts[h].Allowed, "%s hook saw the trusted loads", h)
			assert.Zero(t, st.Counts[h].Denied, "%s hook disagrees with lsm/bpf", h)
		}
	}
	st.Print(testWriter{t})
}

// TestSelfProtection: an untrusted root process can neither disable the
// guard nor unpin, rename or open its pins, nor open its link, programs or
// maps by id; the guard keeps enforcing afterwards.
func TestSelfProtection(t *testing.T) {
	e := newEnv(t)
	// An unrelated map whose id the untrusted child may still open: the
	// protection is about the guard's objects, not every id lookup.
	other, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	require.NoError(t, err)
	defer other.Close()
	otherInfo, err := other.Info()
	require.NoError(t, err)
	otherID, _ := otherInfo.ID()

	e.enable(t)
	ids := guardIDs(t, e.pinDir)
	linkPin := filepath.Join(e.pinDir, "link_bpf")
	exesPin := filepath.Join(e.pinDir, bpfguard.MapTrustedExes)
	// Subtest names are stable across kernels (ids and pids are not), so
	// the matrix lines them up.
	for _, c := range []struct {
		name, job, arg string
		cmd            uint32
	}{
		{"disable", "disable", e.pinDir, unix.BPF_OBJ_GET},
		{"unpin link", "unpin", linkPin, bpfguard.OpUnlink},
		{"unpin allowlist", "unpin", exesPin, bpfguard.OpUnlink},
		{"rename link pin", "rename-pin", linkPin, bpfguard.OpRename},
		{"open allowlist pin", "open-pin", exesPin, unix.BPF_OBJ_GET},
		{"open link by id", "link-by-id", strconv.Itoa(int(ids.link)), 30},
		{"open program by id", "prog-by-id", strconv.Itoa(int(ids.prog)), unix.BPF_PROG_GET_FD_BY_ID},
		{"open allowlist by id", "map-by-id", strconv.Itoa(int(ids.exes)), unix.BPF_MAP_GET_FD_BY_ID},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, pid := runChild(t, untrustedRoot(), e.cgroupDir, c.job, c.arg)
			require.Contains(t, res, "errno 1 ", "want EPERM from the guard")
			e.denial(t, pid, c.cmd)
			require.True(t, guard.Enabled(e.pinDir), "guard pins still there")
		})
	}
	res, _ := runChild(t, untrustedRoot(), e.cgroupDir, "map-by-id", strconv.Itoa(int(otherID)))
	assert.Equal(t, "ok", res, "an unrelated map's id stays open to untrusted processes")
	res, pid := runChild(t, untrustedRoot(), e.cgroupDir, "map-create", "")
	require.Contains(t, res, "errno 1 ", "the guard still enforces after the attempts")
	e.denial(t, pid, unix.BPF_MAP_CREATE)
}

type ids struct{ link, prog, exes uint32 }

func guardIDs(t *testing.T, dir string) ids {
	l, err := link.LoadPinnedLink(filepath.Join(dir, "link_bpf"), nil)
	require.NoError(t, err)
	defer l.Close()
	li, err := l.Info()
	require.NoError(t, err)
	m, err := ebpf.LoadPinnedMap(filepath.Join(dir, bpfguard.MapTrustedExes), nil)
	require.NoError(t, err)
	defer m.Close()
	mi, err := m.Info()
	require.NoError(t, err)
	mid, _ := mi.ID()
	return ids{link: uint32(li.ID), prog: uint32(li.Program), exes: uint32(mid)}
}

// TestDisable: disabling from the trusted binary removes the guard, and the
// untrusted binary that was refused works again.
func TestDisable(t *testing.T) {
	e := newEnv(t)
	e.enable(t)
	res, _ := runChild(t, untrustedRoot(), e.cgroupDir, "prog-load", "")
	require.Contains(t, res, "errno 1 ")
	require.NoError(t, guard.Disable(e.pinDir))
	assert.False(t, guard.Enabled(e.pinDir))
	_, err := os.Stat(e.pinDir)
	assert.True(t, os.IsNotExist(err), "pin directory removed: %v", err)
	for _, job := range []string{"prog-load", "map-create"} {
		res, _ := runChild(t, untrustedRoot(), e.cgroupDir, job, "")
		assert.Equal(t, "ok", res, "%s with the guard off", job)
	}
	err = guard.Disable(e.pinDir)
	require.ErrorIs(t, err, guard.ErrBadInput, "disabling twice says nothing is enabled")
}

// TestBadInputChangesNothing: a binary that does not exist, a scope cgroup
// that does not exist, a second enable: each is refused, and nothing is
// pinned or attached by the attempt.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	before := lsmLinks(t)
	for _, c := range []struct {
		name string
		cfg  guard.Config
		want string
	}{
		{"unknown binary", guard.Config{PinDir: e.pinDir, Scope: e.scope, Trust: []string{"/nonexistent/bpflab-loader"}}, "/nonexistent/bpflab-loader"},
		{"directory as binary", guard.Config{PinDir: e.pinDir, Scope: e.scope, Trust: []string{os.TempDir()}}, "not an executable regular file"},
		{"pin dir off bpffs", guard.Config{PinDir: filepath.Join(os.TempDir(), "guard"), Scope: e.scope}, "not on a bpf filesystem"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := guard.Enable(c.cfg)
			require.ErrorIs(t, err, guard.ErrBadInput)
			require.ErrorContains(t, err, c.want)
			assert.False(t, guard.Enabled(c.cfg.PinDir))
			assert.Equal(t, before, lsmLinks(t), "no LSM link was left behind")
		})
	}
	_, err := guard.ParseScope("cgroup:/nonexistent/bpflab-cgroup")
	require.ErrorIs(t, err, guard.ErrBadInput)
	_, err = guard.ParseScope("everywhere")
	require.ErrorIs(t, err, guard.ErrBadInput)

	e.enable(t)
	after := lsmLinks(t)
	_, err = guard.Enable(guard.Config{PinDir: e.pinDir, Scope: e.scope})
	require.ErrorIs(t, err, guard.ErrBadInput)
	require.ErrorContains(t, err, "already enabled")
	assert.Equal(t, after, lsmLinks(t), "a second enable attached nothing")
}

// lsmLinks counts the LSM links in the kernel (other users' included, so
// compare counts taken close together).
func lsmLinks(t *testing.T) int {
	n := 0
	it := new(link.Iterator)
	defer it.Close()
	for it.Next() {
		info, err := it.Take().Info()
		if err == nil && info.Type == link.TracingType {
			if tr := info.Tracing(); tr != nil && ebpf.AttachType(tr.AttachType) == ebpf.AttachLSMMac {
				n++
			}
		}
	}
	require.NoError(t, it.Err())
	return n
}

// TestHooksPerKernel: lsm/bpf and the pin hooks on every kernel; the
// object hooks exactly where the kernel BTF has them, which must include
// every kernel from 6.9 (where they were added with BPF tokens).
func TestHooksPerKernel(t *testing.T) {
	testenv.Setup(t) // only BTF is read: this runs where LSM programs cannot load too
	if err := bpfguard.HasLSMHooks(); errors.Is(err, bpfguard.ErrNoLSMHooks) && runtime.GOARCH != "amd64" {
		t.Skipf("no BPF LSM in this %s kernel (probed: %v)", runtime.GOARCH, err)
	}
	have, missing, err := bpfguard.KernelHooks()
	require.NoError(t, err)
	v, rel, err := probe.KernelVersion()
	require.NoError(t, err)
	var names []string
	for _, p := range have {
		names = append(names, p.Hook)
	}
	t.Logf("kernel %s: guard hooks %v", rel, names)
	require.Contains(t, names, "bpf")
	if !v.Less(probe.Version{6, 9, 0}) {
		assert.Empty(t, missing, "kernel %s is at least 6.9 and must have the object hooks", rel)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
