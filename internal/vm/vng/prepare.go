package vng

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
)

// session is one Run: what prepare set up, what boot started, what
// supervise watches and collect reads.
type session struct {
	b     *Backend
	job   vm.Job
	run   *vm.Run
	share string // the dir the guest writes its report and artifacts to
	spec  string // the runner's spec, in share
	log   *os.File
	con   *console

	bootLimit, shutdownLimit time.Duration

	// Set by boot.
	cmd    *exec.Cmd
	tr     *tracker
	start  time.Time
	waited chan error
}

// prepare makes the shared dir, writes the spec and opens the console log.
func (b *Backend) prepare(job vm.Job, run *vm.Run, why string) (*session, error) {
	s := &session{b: b, job: job, run: run, share: filepath.Join(job.WorkDir, "share")}
	if err := os.RemoveAll(s.share); err != nil {
		return nil, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("clean %s: %w", s.share, err)}
	}
	if err := os.MkdirAll(s.share, 0o755); err != nil {
		return nil, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("create shared dir: %w", err)}
	}
	s.spec = filepath.Join(s.share, "spec.json")
	if err := writeSpec(s.spec, s.share, job); err != nil {
		return nil, &vm.PhaseError{Phase: "setup", Err: err}
	}
	log, err := os.Create(run.Console)
	if err != nil {
		return nil, &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("create console log: %w", err)}
	}
	s.log = log
	fmt.Fprintf(log, "bpflab: vng backend, accel %s (%s)\n", run.Accel, why)
	s.con = newConsole(log, 64<<10)

	s.bootLimit = b.Boot
	if s.bootLimit == 0 {
		s.bootLimit = map[bool]time.Duration{true: DefaultBootKVM, false: DefaultBootTCG}[run.Accel == "kvm"]
	}
	s.shutdownLimit = b.Shutdown
	if s.shutdownLimit == 0 {
		s.shutdownLimit = DefaultShutdown
	}
	return s, nil
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
		return errors.New("no guest runner: set Backend.Runner to a static bpflab")
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
	s.Binaries = job.Binaries
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	return nil
}
