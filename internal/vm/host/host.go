package host

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/kmsg"
	"github.com/bpflab/bpflab/internal/uname"
	"github.com/bpflab/bpflab/internal/vm"
)

// Backend runs binaries on the host kernel.
type Backend struct {
	// PerBinary bounds each binary; zero means only Job.Timeout applies.
	PerBinary time.Duration
}

// New returns a host backend with a per-binary timeout (0: none).
func New(perBinary time.Duration) *Backend { return &Backend{PerBinary: perBinary} }

// Name implements vm.Backend.
func (b *Backend) Name() string { return "host" }

// Run implements vm.Backend: load modules, then run each binary in its own
// process group so a timeout kills everything it started.
func (b *Backend) Run(ctx context.Context, job vm.Job) (*vm.Run, error) {
	if job.Kernel != nil && job.Kernel.Vmlinuz != "" {
		return nil, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("the host backend runs on the host kernel only, not %s (%s); use --backend vng or qemu", job.Kernel.Name, job.Kernel.Vmlinuz)}
	}
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Timeout)
		defer cancel()
	}
	run := &vm.Run{Backend: b.Name(), Accel: "host", Release: uname.ReleaseOr("")}
	// The host kernel's log from now on, for the splat check: what it
	// logged before is not this job's doing.
	if klog, err := kmsg.Open(true); err == nil {
		defer func() {
			run.KernelLog, _ = klog.ReadNew()
			klog.Close()
		}()
	}

	start := time.Now()
	if err := loadModules(ctx, job.Modules); err != nil {
		return run, &vm.PhaseError{Phase: "modules", Err: err}
	}
	run.Phases = append(run.Phases, vm.Phase{Name: "modules", Duration: time.Since(start)})

	start = time.Now()
	for _, bin := range job.Binaries {
		res, err := b.runOne(ctx, job, bin)
		run.Results = append(run.Results, res)
		if err != nil {
			run.Phases = append(run.Phases, vm.Phase{Name: "test", Duration: time.Since(start)})
			return run, &vm.PhaseError{Phase: "test", Err: err}
		}
	}
	run.Phases = append(run.Phases, vm.Phase{Name: "test", Duration: time.Since(start)})
	return run, nil
}

// runOne runs one binary. A timeout is not an error of the run (the binary's
// result says it was killed); only the job's context ending is.
func (b *Backend) runOne(ctx context.Context, job vm.Job, bin vm.Binary) (vm.Result, error) {
	res := vm.Result{Name: bin.Name, ExitCode: -1}
	bctx := ctx
	if b.PerBinary > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, b.PerBinary)
		defer cancel()
	}
	cmd := exec.CommandContext(bctx, bin.Path, bin.Args...)
	cmd.Env = append(os.Environ(), job.Env...)
	cmd.Dir = job.WorkDir
	if bin.Dir != "" {
		cmd.Dir = bin.Dir
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole group: test binaries start helpers (shells, netns
	// children) that would otherwise keep the output pipe open.
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second

	var out syncBuffer
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Bytes()
			out.Write(line)
			out.Write([]byte{'\n'})
			if job.Stream != nil {
				job.Stream(bin.Name, line)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	start := time.Now()
	err := cmd.Run()
	pw.Close()
	<-copied
	res.Duration = time.Since(start)
	res.Output = out.Bytes()

	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.Output = append(res.Output, fmt.Sprintf("\nbpflab: %s killed: the job's deadline passed after %s\n", bin.Name, res.Duration.Round(time.Millisecond))...)
		return res, fmt.Errorf("%s: job deadline passed after %s", bin.Name, res.Duration.Round(time.Second))
	case bctx.Err() != nil:
		res.Output = append(res.Output, fmt.Sprintf("\nbpflab: %s killed after the per-binary timeout of %s\n", bin.Name, b.PerBinary)...)
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		return res, fmt.Errorf("run %s: %w", bin.Path, err)
	}
	return res, nil
}

// loadModules modprobes each module that is neither loaded nor built in.
func loadModules(ctx context.Context, mods []string) error {
	for _, m := range mods {
		if builtinOrLoaded(m) {
			continue
		}
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := exec.CommandContext(mctx, "modprobe", m).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("modprobe %s: %w: %s", m, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

func builtinOrLoaded(mod string) bool {
	if _, err := os.Stat(filepath.Join("/sys/module", strings.ReplaceAll(mod, "-", "_"))); err == nil {
		return true
	}
	if data, err := os.ReadFile(filepath.Join("/lib/modules", uname.ReleaseOr(""), "modules.builtin")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSuffix(filepath.Base(l), ".ko") == mod {
				return true
			}
		}
	}
	// Kernels without a modules tree (e.g. Firecracker guests) still say
	// in their config what is built in.
	return configBuiltin(kernelConfig(), mod)
}

// kernelConfig returns the running kernel's config, if it can be found.
func kernelConfig() string {
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		if zr, err := gzip.NewReader(f); err == nil {
			if data, err := io.ReadAll(zr); err == nil {
				return string(data)
			}
		}
	}
	data, _ := os.ReadFile(filepath.Join("/boot", "config-"+uname.ReleaseOr("")))
	return string(data)
}

// configBuiltin reports whether CONFIG_<MOD>=y is in config (module names
// like veth map to their config symbol this way).
func configBuiltin(config, mod string) bool {
	sym := "CONFIG_" + strings.ToUpper(strings.ReplaceAll(mod, "-", "_")) + "=y"
	for _, l := range strings.Split(config, "\n") {
		if l == sym {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes buffer safe for the copier and the reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.buf...)
}
