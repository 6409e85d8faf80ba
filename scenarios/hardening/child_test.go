package hardening

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/privilege"
)

// The test binary re-executes itself as an unprivileged child; the child
// does one job and prints one RESULT line.
const (
	envChild  = "BPFLAB_HARDENING_CHILD"
	envArg    = "BPFLAB_HARDENING_ARG"
	nobodyUID = 65534
)

func TestMain(m *testing.M) {
	if job := os.Getenv(envChild); job != "" {
		err := childJob(job, os.Getenv(envArg))
		if err != nil {
			fmt.Printf("RESULT error: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("RESULT ok")
		os.Exit(0)
	}
	dir, exe, err := copyForNobody()
	if err != nil {
		fmt.Fprintf(os.Stderr, "hardening: %v\n", err)
		os.Exit(1)
	}
	nobodyExe = exe
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// nobodyExe is the copy of this binary that user nobody can execute. It is
// made once: every child then runs the same file, whose code under TCG is
// translated once too (a fresh copy per child cost ~0.3 s each).
var nobodyExe string

func childJob(job, arg string) error {
	switch job {
	case "xdp":
		ifindex, err := strconv.Atoi(arg)
		if err != nil {
			return fmt.Errorf("bad ifindex %q", arg)
		}
		if err := privilege.Check(privilege.JobXDP); err != nil {
			return err
		}
		fw, err := firewall.Load(firewall.Options{})
		if err != nil {
			return privilege.Explain(privilege.JobXDP, err)
		}
		defer fw.Close()
		if err := fw.Block(netip.MustParsePrefix("198.51.100.7/32")); err != nil {
			return privilege.Explain(privilege.JobXDP, err)
		}
		if err := fw.Attach(ifindex, firewall.ModeGeneric); err != nil {
			return privilege.Explain(privilege.JobXDP, err)
		}
		return fw.Detach()
	case "load-firewall-unchecked":
		fw, err := firewall.Load(firewall.Options{})
		if err != nil {
			return privilege.Explain(privilege.JobXDP, err)
		}
		return fw.Close()
	case "tracing":
		if err := privilege.Check(privilege.JobTracing); err != nil {
			return err
		}
		tr, err := execve.Load(execve.Options{})
		if err != nil {
			return privilege.Explain(privilege.JobTracing, err)
		}
		defer tr.Close()
		return privilege.Explain(privilege.JobTracing, tr.Attach())
	case "open-pin":
		m, err := ebpf.LoadPinnedMap(arg, nil)
		if err != nil {
			return err
		}
		return m.Close()
	case "socket-filter":
		// The one program type unprivileged users may load when
		// kernel.unprivileged_bpf_disabled is 0.
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type:         ebpf.SocketFilter,
			License:      "MIT",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		})
		if err != nil {
			return err
		}
		return p.Close()
	}
	return fmt.Errorf("unknown child job %q", job)
}

// runChild runs job as user nobody with exactly caps (ambient), from a copy
// of this binary that nobody may execute. It returns the RESULT line.
func runChild(t *testing.T, job, arg string, caps ...privilege.Cap) (string, error) {
	t.Helper()
	self := nobodyExe
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), envChild+"="+job, envArg+"="+arg)
	ambient := make([]uintptr, len(caps))
	for i, c := range caps {
		ambient[i] = uintptr(c)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID, Groups: []uint32{}},
		AmbientCaps: ambient,
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("child %q hung for 60s; output:\n%s", job, out.String())
	}
	result := lastResult(out.Bytes())
	t.Logf("child %s as uid %d with %v: %s", job, nobodyUID, caps, result)
	if result == "" {
		t.Fatalf("child %q printed no RESULT line (exit %v); output:\n%s", job, err, out.String())
	}
	return result, err
}

func lastResult(out []byte) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := range lines {
		if r, ok := bytes.CutPrefix(lines[i], []byte("RESULT ")); ok {
			// Keep what follows: a verifier log spans many lines.
			return string(bytes.Join(append([][]byte{r}, lines[i+1:]...), []byte("\n")))
		}
	}
	return ""
}

// copyForNobody copies the test binary to a directory user nobody can
// traverse (go test's build directory is private to root, and so is the
// parent of t.TempDir).
func copyForNobody() (dir, exe string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "bpflab-hardening-")
	if err != nil {
		return "", "", err
	}
	exe = filepath.Join(dir, "hardening.test")
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
		return "", "", fmt.Errorf("copy %s for user nobody: %w", self, err)
	}
	return dir, exe, nil
}
