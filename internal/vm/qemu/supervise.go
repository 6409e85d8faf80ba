package qemu

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
)

// supervisor walks one qemu process through boot, test and shutdown, each
// with its own deadline.
type supervisor struct {
	b      *Backend
	job    vm.Job
	run    *vm.Run
	cmd    *exec.Cmd
	con    *console
	events chan event
	stderr *bytes.Buffer

	phase      string
	phaseStart time.Time
	timer      *time.Timer
	limit      time.Duration
	running    string // binary the guest said it started
	report     *guest.Report
	exited     bool
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// begin ends the current phase (recording its duration) and starts next.
func (s *supervisor) begin(next string, limit time.Duration) {
	now := time.Now()
	if s.phase != "" {
		s.run.Phases = append(s.run.Phases, vm.Phase{Name: s.phase, Duration: now.Sub(s.phaseStart)})
	}
	s.phase, s.phaseStart, s.limit = next, now, limit
	if s.timer == nil {
		s.timer = time.NewTimer(limit)
	} else {
		s.timer.Reset(limit)
	}
}

func (s *supervisor) walk(ctx context.Context) error {
	s.begin("boot", orDefault(s.b.BootTimeout, DefaultBootTimeout))
	defer s.timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.abort(fmt.Errorf("cancelled: %w", ctx.Err()))
		case <-s.timer.C:
			return s.abort(s.deadlineErr())
		case line := <-s.con.fatal:
			return s.abort(fmt.Errorf("kernel died: %s", line))
		case ev := <-s.events:
			if ev.exit {
				s.exited = true
				return s.exit(ev.exited)
			}
			s.record(*ev.rec)
		}
	}
}

// record advances the phases on guest records.
func (s *supervisor) record(rec guest.Record) {
	switch rec.Kind {
	case guest.KindHello:
		s.run.Release = rec.Release
		s.begin("test", orDefault(s.job.Timeout, DefaultTestTimeout))
	case guest.KindStart:
		if rec.Result != nil {
			s.running = rec.Result.Name
		}
	case guest.KindResult:
		if rec.Result != nil {
			s.running = ""
			s.run.Results = append(s.run.Results, vm.GuestResults(*rec.Result)...)
		}
	case guest.KindDone:
		if rec.Report == nil {
			return
		}
		s.report = rec.Report
		// No shared filesystem: artifacts come back in the final report.
		if _, err := guest.WriteArtifacts(filepath.Join(s.job.WorkDir, "artifacts"), rec.Report.Artifacts); err != nil && s.b.Log != nil {
			s.b.Log("%v", err)
		}
		if s.run.Release == "" {
			s.run.Release = rec.Report.Release
		}
		s.run.KernelLog = rec.Report.KernelLog
		s.run.Results = vm.GuestResults(rec.Report.Results...)
		if s.phase == "boot" { // setup failed before hello
			s.begin("test", 0)
		}
		s.begin("shutdown", orDefault(s.b.ShutdownTimeout, DefaultShutdownTimeout))
	}
}

// exit handles qemu exiting by itself.
func (s *supervisor) exit(waitErr error) error {
	select {
	case line := <-s.con.fatal:
		return s.fail(fmt.Errorf("kernel died: %s", line))
	default:
	}
	if s.phase != "shutdown" {
		what := "before the guest runner started"
		if s.phase == "test" {
			what = "before the guest runner finished"
			if s.running != "" {
				what += " (" + s.running + " was running)"
			}
		}
		return s.fail(fmt.Errorf("%w %s: %s", errQemuExit, what, exitStatus(waitErr, s.stderr)))
	}
	s.begin("", 0)
	if waitErr != nil {
		return s.fail(fmt.Errorf("qemu failed at power off: %s", exitStatus(waitErr, s.stderr)))
	}
	if s.report != nil && s.report.Err != "" {
		stage := s.report.Stage
		if stage == "" {
			stage = "test"
		}
		s.phase = stage
		return s.fail(fmt.Errorf("guest %s failed: %s", stage, s.report.Err))
	}
	return nil
}

func exitStatus(err error, stderr *bytes.Buffer) string {
	msg := "exit status 0"
	if err != nil {
		msg = err.Error()
	}
	if e := strings.TrimSpace(stderr.String()); e != "" {
		msg += ": " + e
	}
	return msg
}

func (s *supervisor) deadlineErr() error {
	switch s.phase {
	case "boot":
		return fmt.Errorf("the guest runner did not start within %v (boot deadline): the kernel hung or is very slow", s.limit)
	case "test":
		if s.running != "" {
			return fmt.Errorf("%s did not finish within %v (test deadline; raise it with --timeout)", s.running, s.limit)
		}
		return fmt.Errorf("binaries did not finish within %v (test deadline)", s.limit)
	default:
		return fmt.Errorf("the guest did not power off within %v after its last result", s.limit)
	}
}

// abort stops qemu and fails the current phase.
func (s *supervisor) abort(err error) error {
	s.stop()
	return s.fail(err)
}

func (s *supervisor) fail(err error) error {
	tail := s.con.Tail()
	return &vm.PhaseError{Phase: s.phase, Err: err, ConsoleTail: tail}
}

// stop interrupts qemu, kills it after a grace period, and waits (bounded)
// for its exit so the console log is complete.
func (s *supervisor) stop() {
	if s.exited {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	grace := time.NewTimer(interruptGrace)
	defer grace.Stop()
	killed := false
	for {
		select {
		case ev := <-s.events:
			if ev.exit {
				s.exited = true
				return
			}
		case <-grace.C:
			if killed {
				return // qemu is unkillable or a reader is stuck: give up waiting
			}
			_ = s.cmd.Process.Kill()
			killed = true
			grace.Reset(10 * time.Second)
		}
	}
}
