package vng

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
)

// boot starts vng and the readers of its output: stdout carries the
// runner's lines (phases, the binaries' output), stderr the console.
func (s *session) boot() error {
	cmd := exec.Command("vng", s.b.Args(s.job.Kernel, s.run.Accel, s.share, s.spec)...)
	cmd.Dir = s.job.WorkDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("vng stdout: %w", err)}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return &vm.PhaseError{Phase: "setup", Err: fmt.Errorf("vng stderr: %w", err)}
	}
	fmt.Fprintf(s.log, "bpflab: vng %s\n", strings.Join(cmd.Args[1:], " "))
	s.start = time.Now()
	if err := cmd.Start(); err != nil {
		return &vm.PhaseError{Phase: "boot", Err: fmt.Errorf("start vng: %w", err)}
	}
	s.cmd = cmd
	s.tr = newTracker(s.start, s.job.Stream)
	var scans sync.WaitGroup
	scans.Add(2)
	go func() { defer scans.Done(); s.tr.scan(io.TeeReader(stdout, s.con)) }()
	go func() { defer scans.Done(); s.tr.scanConsole(io.TeeReader(stderr, s.con)) }()
	s.waited = make(chan error, 1)
	go func() {
		scans.Wait() // Wait closes the pipes: read them to the end first
		s.waited <- cmd.Wait()
	}()
	return nil
}

// supervise watches the deadlines of the phase the guest is in until vng
// exits, and kills it when one passes; the error says where it stopped.
func (s *session) supervise(ctx, jobCtx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.waited:
			s.run.Phases = s.tr.phases(time.Now())
			return nil
		case <-tick.C:
		case <-jobCtx.Done():
		}
		var stopErr error
		phase, since := s.tr.phase()
		switch {
		case ctx.Err() != nil:
			stopErr = &vm.PhaseError{Phase: phase, Err: fmt.Errorf("%s: interrupted after %s", s.tr.where(), time.Since(s.start).Round(time.Second))}
		case jobCtx.Err() != nil:
			stopErr = &vm.PhaseError{Phase: phase, Err: fmt.Errorf("%s: job deadline passed after %s", s.tr.where(), time.Since(s.start).Round(time.Second))}
		case phase == "boot" && since > s.bootLimit:
			stopErr = &vm.PhaseError{Phase: "boot", Err: fmt.Errorf("no binary started within %s (boot deadline, accel %s)", s.bootLimit, s.run.Accel)}
		case phase == "shutdown" && since > s.shutdownLimit:
			fmt.Fprintf(s.log, "\nbpflab: guest did not power off within %s after the last binary; killing it (results are complete)\n", s.shutdownLimit)
		default:
			continue
		}
		killGroup(s.cmd.Process.Pid)
		<-s.waited
		s.run.Phases = s.tr.phases(time.Now())
		return stopErr
	}
}

// collect reads the guest's report from the shared dir into the run and
// turns what went wrong into the run's error.
func (s *session) collect(stopErr error) error {
	rep, repErr := guest.ReadReport(s.share)
	if rep != nil {
		if _, err := guest.WriteArtifacts(filepath.Join(s.job.WorkDir, "artifacts"), rep.Artifacts); err != nil {
			fmt.Fprintf(s.log, "\nbpflab: %v\n", err)
		}
		s.run.Release = rep.Release
		s.run.KernelLog = rep.KernelLog
		s.run.Results = vm.GuestResults(rep.Results...)
	}
	tail := s.con.Tail(40)
	var pe *vm.PhaseError
	switch {
	case errors.As(stopErr, &pe):
		pe.ConsoleTail = tail
		return pe
	case rep == nil:
		phase, _ := s.tr.phase()
		return &vm.PhaseError{Phase: phase, Err: fmt.Errorf("vng exited (%s) without a report: %w%s", s.cmd.ProcessState, repErr, panicNote(s.con)), ConsoleTail: tail}
	case rep.Err != "":
		return &vm.PhaseError{Phase: "guest " + rep.Stage, Err: errors.New(rep.Err), ConsoleTail: tail}
	case !rep.Done:
		return &vm.PhaseError{Phase: "test", Err: fmt.Errorf("%s: the guest stopped before finishing%s", s.tr.where(), panicNote(s.con)), ConsoleTail: tail}
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
