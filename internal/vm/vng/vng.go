package vng

import (
	"bufio"
	"context"
	"encoding/json"
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

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/qemu"
)

// Default deadlines. TCG boots of Debian kernels through virtme-init took
// 18-26 s on an idle 2-core machine and over 2 minutes on a loaded one.
const (
	DefaultBootTCG  = 6 * time.Minute
	DefaultBootKVM  = 2 * time.Minute
	DefaultShutdown = time.Minute
)

// Backend boots kernels with virtme-ng.
type Backend struct {
	// Runner is the host path of a static cmd/bpflab-guest binary.
	Runner string
	// Accel is "kvm", "tcg", or "" to probe once per Backend.
	Accel string
	// Boot bounds the time to the first binary starting; zero picks a
	// default for the accelerator. Job.Timeout bounds the whole run.
	Boot     time.Duration
	Shutdown time.Duration
	Memory   string // vng --memory, default "1G"
	CPUs     int    // vng --cpus, default 2

	probe     sync.Once
	probedKVM bool
	probeWhy  string
}

// New returns a vng backend running the given guest runner.
func New(runner string) *Backend { return &Backend{Runner: runner} }

// Name implements vm.Backend.
func (b *Backend) Name() string { return "vng" }

// ErrNoVng says virtme-ng is not installed.
var ErrNoVng = errors.New("virtme-ng (vng) is not installed: run scripts/setup (it calls scripts/setup-vng) as root")

// Available checks that vng is on PATH.
func Available() error {
	if _, err := exec.LookPath("vng"); err != nil {
		return ErrNoVng
	}
	return nil
}

// accel decides between KVM and TCG once.
func (b *Backend) accel(ctx context.Context) (string, string) {
	if b.Accel != "" {
		return b.Accel, "set by caller"
	}
	b.probe.Do(func() { b.probedKVM, b.probeWhy = ProbeKVM(ctx, "", 3*time.Second) })
	if b.probedKVM {
		return "kvm", b.probeWhy
	}
	return "tcg", b.probeWhy
}

// Args builds the vng command line.
func (b *Backend) Args(k *vm.Kernel, accel, share, spec string) []string {
	mem, cpus := b.Memory, b.CPUs
	if mem == "" {
		mem = "1G"
	}
	if cpus == 0 {
		cpus = 2
	}
	args := []string{"--run", k.Vmlinuz, "--verbose", "--memory", mem, "--cpus", fmt.Sprint(cpus), "--rwdir", share}
	if accel != "kvm" {
		// One TCG thread for all vCPUs, as the qemu backend does (see
		// qemu.AccelArg): multi-threaded TCG can run stale translations of
		// kernel text patched on another vCPU and lock up.
		args = append(args, "--disable-kvm", "--qemu-opts=-accel "+qemu.AccelArg("tcg"))
	}
	exe := fmt.Sprintf("%s --spec %s --results %s", shellQuote(b.Runner), shellQuote(spec), shellQuote(share))
	return append(args, "--exec", exe)
}

// Run implements vm.Backend.
func (b *Backend) Run(ctx context.Context, job vm.Job) (*vm.Run, error) {
	if err := b.check(job); err != nil {
		return nil, &vm.PhaseError{Phase: "setup", Err: err}
	}
	accel, why := b.accel(ctx)
	run := &vm.Run{Backend: b.Name(), Accel: accel, Console: filepath.Join(job.WorkDir, "console.log")}

	share := filepath.Join(job.WorkDir, "share")
	if err := os.RemoveAll(share); err != nil {
		return run, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("clean %s: %w", share, err)}
	}
	if err := os.MkdirAll(share, 0o755); err != nil {
		return run, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("create shared dir: %w", err)}
	}
	spec := filepath.Join(share, "spec.json")
	if err := writeSpec(spec, share, job); err != nil {
		return run, &vm.PhaseError{Phase: "setup", Err: err}
	}
	logFile, err := os.Create(run.Console)
	if err != nil {
		return run, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("create console log: %w", err)}
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "bpflab: vng backend, accel %s (%s)\n", accel, why)
	con := newConsole(logFile, 64<<10)

	boot := b.Boot
	if boot == 0 {
		boot = map[bool]time.Duration{true: DefaultBootKVM, false: DefaultBootTCG}[accel == "kvm"]
	}
	shutdown := b.Shutdown
	if shutdown == 0 {
		shutdown = DefaultShutdown
	}
	jobCtx := ctx
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		jobCtx, cancel = context.WithTimeout(ctx, job.Timeout)
		defer cancel()
	}

	cmd := exec.Command("vng", b.Args(job.Kernel, accel, share, spec)...)
	cmd.Dir = job.WorkDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return run, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("vng stdout: %w", err)}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return run, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("vng stderr: %w", err)}
	}
	fmt.Fprintf(logFile, "bpflab: vng %s\n", strings.Join(cmd.Args[1:], " "))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run, &vm.PhaseError{Phase: "boot", Err: fmt.Errorf("start vng: %w", err)}
	}
	tr := newTracker(start, job.Stream)
	var scans sync.WaitGroup
	scans.Add(2)
	go func() { defer scans.Done(); tr.scan(io.TeeReader(stdout, con)) }()
	go func() { defer scans.Done(); tr.scanConsole(io.TeeReader(stderr, con)) }()
	waited := make(chan error, 1)
	go func() {
		scans.Wait() // Wait closes the pipes: read them to the end first
		waited <- cmd.Wait()
	}()

	// Watch the deadlines of the phase we are in until vng exits.
	var stopErr error
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-waited:
			break wait
		case <-tick.C:
		case <-jobCtx.Done():
		}
		phase, since := tr.phase()
		switch {
		case ctx.Err() != nil:
			stopErr = &vm.PhaseError{Phase: phase, Err: fmt.Errorf("%s: interrupted after %s", tr.where(), time.Since(start).Round(time.Second))}
		case jobCtx.Err() != nil:
			stopErr = &vm.PhaseError{Phase: phase, Err: fmt.Errorf("%s: job deadline passed after %s", tr.where(), time.Since(start).Round(time.Second))}
		case phase == "boot" && since > boot:
			stopErr = &vm.PhaseError{Phase: "boot", Err: fmt.Errorf("no binary started within %s (boot deadline, accel %s)", boot, accel)}
		case phase == "shutdown" && since > shutdown:
			fmt.Fprintf(logFile, "\nbpflab: guest did not power off within %s after the last binary; killing it (results are complete)\n", shutdown)
		default:
			continue
		}
		killGroup(cmd.Process.Pid)
		<-waited
		break
	}
	run.Phases = tr.phases(time.Now())

	rep, repErr := guest.ReadReport(share)
	if rep != nil {
		if _, err := guest.WriteArtifacts(filepath.Join(job.WorkDir, "artifacts"), rep.Artifacts); err != nil {
			fmt.Fprintf(logFile, "\nbpflab: %v\n", err)
		}
		run.Release = rep.Release
		run.KernelLog = rep.KernelLog
		for _, r := range rep.Results {
			res := vm.Result{Binary: r.Name, ExitCode: r.ExitCode, Output: r.Output, Duration: r.Duration}
			if r.Err != "" {
				res.Output = append(res.Output, "\nbpflab-guest: "+r.Err+"\n"...)
			}
			run.Results = append(run.Results, res)
		}
	}
	tail := con.Tail(40)
	switch {
	case stopErr != nil:
		stopErr.(*vm.PhaseError).ConsoleTail = tail
		return run, stopErr
	case rep == nil:
		phase, _ := tr.phase()
		return run, &vm.PhaseError{Phase: phase, Err: fmt.Errorf("vng exited (%s) without a report: %w%s", cmd.ProcessState, repErr, panicNote(con)), ConsoleTail: tail}
	case rep.Err != "":
		return run, &vm.PhaseError{Phase: "guest " + rep.Stage, Err: errors.New(rep.Err), ConsoleTail: tail}
	case !rep.Done:
		return run, &vm.PhaseError{Phase: "test", Err: fmt.Errorf("%s: the guest stopped before finishing%s", tr.where(), panicNote(con)), ConsoleTail: tail}
	}
	return run, nil
}

func (b *Backend) check(job vm.Job) error {
	if err := Available(); err != nil {
		return err
	}
	if job.Kernel == nil || job.Kernel.Vmlinuz == "" {
		return errors.New("the vng backend needs a kernel image (Job.Kernel.Vmlinuz)")
	}
	if _, err := os.Stat(job.Kernel.Vmlinuz); err != nil {
		return fmt.Errorf("kernel %s: %w", job.Kernel.Name, err)
	}
	if b.Runner == "" {
		return errors.New("no guest runner: build cmd/bpflab-guest and set Backend.Runner")
	}
	if !filepath.IsAbs(b.Runner) || !filepath.IsAbs(job.WorkDir) {
		return fmt.Errorf("runner %q and work dir %q must be absolute paths (the guest sees the host's tree)", b.Runner, job.WorkDir)
	}
	for _, bin := range job.Binaries {
		if !filepath.IsAbs(bin.Path) {
			return fmt.Errorf("binary %s: path %q must be absolute", bin.Name, bin.Path)
		}
	}
	return nil
}

// writeSpec writes the runner's spec. Binaries keep their host paths: the
// vng guest mounts the host's root filesystem.
func writeSpec(path, share string, job vm.Job) error {
	s := guest.Spec{Env: job.Env, Modules: job.Modules, ResultsDir: share, ArtifactsDir: filepath.Join(share, "artifacts")}
	for _, b := range job.Binaries {
		s.Binaries = append(s.Binaries, guest.Binary{Name: b.Name, Path: b.Path, Args: b.Args})
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	return nil
}

// killGroup ends vng and its qemu: SIGTERM, then SIGKILL if still there.
func killGroup(pid int) {
	_ = unix.Kill(-pid, unix.SIGTERM)
	go func() {
		time.Sleep(5 * time.Second)
		_ = unix.Kill(-pid, unix.SIGKILL)
	}()
}

func panicNote(c *console) string {
	if c.Panicked() {
		return " (the kernel panicked: see the console tail)"
	}
	return ""
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == '=' || r == ',' || r == ':' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// scanLines feeds fn each line of r, with long lines kept whole.
func scanLines(r io.Reader, fn func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		fn(sc.Text())
	}
	_, _ = io.Copy(io.Discard, r)
}
