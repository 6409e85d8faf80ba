package vng

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/kvm"
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
	// Runner is the host path of a static bpflab (run as `bpflab guest`).
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
	b.probe.Do(func() { b.probedKVM, b.probeWhy = kvm.Probe(ctx, "", 3*time.Second) })
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
	args := []string{"--run", k.Vmlinuz, "--verbose", "--memory", mem, "--cpus", fmt.Sprint(cpus), "--rwdir", share, "--append", vm.LSMArg}
	if accel != "kvm" {
		// One TCG thread for all vCPUs, as the qemu backend does (see
		// qemu.AccelArg): multi-threaded TCG can run stale translations of
		// kernel text patched on another vCPU and lock up.
		args = append(args, "--disable-kvm", "--qemu-opts=-accel "+qemu.AccelArg("tcg"))
	}
	exe := fmt.Sprintf("%s %s --spec %s --results %s", shellQuote(b.Runner), guest.Subcommand, shellQuote(spec), shellQuote(share))
	return append(args, "--exec", exe)
}

// Run implements vm.Backend: prepare the shared dir and spec, boot vng,
// supervise the phases' deadlines until it exits, collect the report.
func (b *Backend) Run(ctx context.Context, job vm.Job) (*vm.Run, error) {
	if err := b.check(job); err != nil {
		return nil, &vm.PhaseError{Phase: "setup", Err: err}
	}
	accel, why := b.accel(ctx)
	run := &vm.Run{Backend: b.Name(), Accel: accel, Console: filepath.Join(job.WorkDir, "console.log")}
	s, err := b.prepare(job, run, why)
	if err != nil {
		return run, err
	}
	defer s.log.Close()
	jobCtx := ctx
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		jobCtx, cancel = context.WithTimeout(ctx, job.Timeout)
		defer cancel()
	}
	if err := s.boot(); err != nil {
		return run, err
	}
	stopErr := s.supervise(ctx, jobCtx)
	return run, s.collect(stopErr)
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
