package guard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/internal/guard"
)

// The test binary re-executes itself for each child job; the child prints
// one RESULT line: "ok", or "errno N (text)" for a refused syscall, or
// "error: ..." for anything else.
const (
	envJob    = "BPFLAB_GUARD_CHILD"
	envArg    = "BPFLAB_GUARD_ARG"
	nobodyUID = 65534
)

func TestMain(m *testing.M) {
	if job := os.Getenv(envJob); job != "" {
		fmt.Println("RESULT " + result(childJob(job, os.Getenv(envArg))))
		os.Exit(0)
	}
	dir, exe, err := untrustedCopy()
	if err != nil {
		fmt.Fprintf(os.Stderr, "guard: %v\n", err)
		os.Exit(1)
	}
	untrustedExe = exe
	sweep()
	code := m.Run()
	sweep()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sweep disables guards a killed run of this binary left behind (t.Cleanup
// does not run when the test binary is killed by its -timeout). In a VM a
// leftover system-wide guard would refuse the next package's loads. Only in
// the guest: on a host the guards are cgroup-scoped and this process could
// not judge whose they are.
func sweep() {
	if !inGuest() {
		return
	}
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/bpf", "bpflab-guard-*"))
	for _, d := range dirs {
		if guard.Enabled(d) {
			err := guard.Disable(d)
			fmt.Fprintf(os.Stderr, "guard: removed a leftover guard at %s (%v)\n", d, err)
		}
	}
}

// untrustedExe is a byte-identical copy of this binary: same content,
// another inode, so the guard does not trust it (trust is per file).
var untrustedExe string

func result(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return fmt.Sprintf("errno %d (%v): %v", int(errno), errno, err)
	}
	return "error: " + err.Error()
}

func childJob(job, arg string) error {
	switch job {
	case "noop":
		return nil
	case "map-create":
		m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "guard_probe", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
		if err != nil {
			return err
		}
		return m.Close()
	case "prog-load":
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Name: "guard_probe", Type: ebpf.SocketFilter, License: "MIT",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		})
		if err != nil {
			return err
		}
		return p.Close()
	case "disable":
		return guard.Disable(arg)
	case "unpin":
		return os.Remove(arg)
	case "rename-pin":
		return os.Rename(arg, arg+"_moved") // bpffs refuses dotted names itself (EPERM)
	case "open-pin":
		m, err := ebpf.LoadPinnedMap(arg, nil)
		if err != nil {
			return err
		}
		return m.Close()
	case "map-by-id", "prog-by-id", "link-by-id":
		id, err := strconv.ParseUint(arg, 10, 32)
		if err != nil {
			return fmt.Errorf("bad id %q", arg)
		}
		return openByID(job, uint32(id))
	case "loaders":
		return runLoaders()
	}
	return fmt.Errorf("unknown child job %q", job)
}

// openByID is BPF_{MAP,PROG,LINK}_GET_FD_BY_ID, the way to reach an object
// nobody shared.
func openByID(job string, id uint32) error {
	cmd := map[string]uintptr{"prog-by-id": unix.BPF_PROG_GET_FD_BY_ID, "map-by-id": unix.BPF_MAP_GET_FD_BY_ID, "link-by-id": 30}[job]
	attr := [3]uint32{id}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(unsafe.Pointer(&attr)), 12)
	if errno != 0 {
		return fmt.Errorf("%s %d: %w", job, id, errno)
	}
	return unix.Close(int(fd))
}

// runLoaders is bpflab's own work: the firewall drops a blocked source and
// passes another; the tracker counts one execve of a child.
func runLoaders() error {
	fw, err := firewall.Load(firewall.Options{})
	if err != nil {
		return fmt.Errorf("firewall: %w", err)
	}
	defer fw.Close()
	blocked, other := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.0.2.9")
	if err := fw.Block(netip.PrefixFrom(blocked, 32)); err != nil {
		return fmt.Errorf("firewall block: %w", err)
	}
	b, err := packet.NewBuilder(net.HardwareAddr{0x02, 0, 0, 0, 0, 0x2a})
	if err != nil {
		return err
	}
	for _, c := range []struct {
		src  netip.Addr
		want firewall.Verdict
	}{{blocked, firewall.XDPDrop}, {other, firewall.XDPPass}} {
		f, err := b.UDP4("guard", c.src, netip.MustParseAddr("192.0.2.1"))
		if err != nil {
			return err
		}
		got, err := fw.TestRun(f.Bytes)
		if err != nil {
			return fmt.Errorf("firewall test run: %w", err)
		}
		if got != c.want {
			return fmt.Errorf("firewall: from %v got %v, want %v", c.src, got, c.want)
		}
	}
	tr, err := execve.Load(execve.Options{})
	if err != nil {
		return fmt.Errorf("tracker: %w", err)
	}
	defer tr.Close()
	if err := tr.Attach(); err != nil {
		return fmt.Errorf("tracker attach: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envJob+"=noop")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("exec child: %w", err)
	}
	n, err := tr.Count(uint32(cmd.Process.Pid))
	if err != nil {
		return fmt.Errorf("tracker count: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("tracker: child %d made 1 execve, counted %d", cmd.Process.Pid, n)
	}
	return nil
}

// who runs a child.
type who struct {
	name string
	exe  string // the binary to run
	uid  uint32
	caps []uintptr // ambient capabilities for a non-root uid
}

// runChild runs job as w, inside cgroupDir when it is not "", and returns
// the child's RESULT and its pid.
func runChild(t *testing.T, w who, cgroupDir, job, arg string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.exe)
	cmd.Env = append(os.Environ(), envJob+"="+job, envArg+"="+arg)
	attr := &syscall.SysProcAttr{}
	if w.uid != 0 {
		attr.Credential = &syscall.Credential{Uid: w.uid, Gid: w.uid, Groups: []uint32{}}
		attr.AmbientCaps = w.caps
	}
	if cgroupDir != "" {
		f, err := os.Open(cgroupDir)
		if err != nil {
			t.Fatalf("open cgroup %s: %v", cgroupDir, err)
		}
		defer f.Close()
		attr.UseCgroupFD, attr.CgroupFD = true, int(f.Fd())
	}
	cmd.SysProcAttr = attr
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("child %s/%s hung for 60s; output:\n%s", w.name, job, out.String())
	}
	res := ""
	for _, l := range bytes.Split(out.Bytes(), []byte("\n")) {
		if r, ok := bytes.CutPrefix(l, []byte("RESULT ")); ok {
			res = string(r)
		}
	}
	if res == "" {
		t.Fatalf("child %s/%s printed no RESULT line (%v); output:\n%s", w.name, job, err, out.String())
	}
	t.Logf("child %s (pid %d) %s %s: %s", w.name, cmd.Process.Pid, job, arg, res)
	return res, cmd.Process.Pid
}

// untrustedCopy copies this binary into a directory user nobody can reach.
func untrustedCopy() (dir, exe string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "bpflab-guard-")
	if err != nil {
		return "", "", err
	}
	exe = filepath.Join(dir, "untrusted.test")
	err = func() error {
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
		src, err := os.Open(self)
		if err != nil {
			return err
		}
		defer src.Close()
		f, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, src)
		return errors.Join(err, f.Close())
	}()
	if err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("copy %s: %w", self, err)
	}
	return dir, exe, nil
}
