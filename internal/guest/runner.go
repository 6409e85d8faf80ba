package guest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/bpflab/bpflab/harness/artifacts"
	"github.com/bpflab/bpflab/internal/kmsg"
	"github.com/bpflab/bpflab/internal/uname"
)

// Console markers around each binary's output, so the host can tell a
// binary's output apart from boot messages when it streams the console.
const (
	MarkRun = "@@BPFLAB-RUN "
	MarkEnd = "@@BPFLAB-END "
)

// runner executes a Spec and publishes progress on its channels.
type runner struct {
	spec    *Spec
	console io.Writer // echo of binary output (never read from)
	port    io.Writer // framed records, may be nil
	report  Report
	logf    func(format string, args ...any)
}

// send publishes a record on the port and the report in ResultsDir. A
// failing channel is logged, not fatal: the other channel may still work.
func (r *runner) send(rec Record) {
	if r.port != nil {
		if err := WriteFrame(r.port, rec); err != nil {
			r.logf("bpflab-guest: %v", err)
		}
	}
	if r.spec.ResultsDir != "" {
		if err := writeReport(r.spec.ResultsDir, &r.report); err != nil {
			r.logf("bpflab-guest: %v", err)
		}
	}
}

// fail records a setup failure; the caller stops after it.
func (r *runner) fail(stage string, err error) {
	r.report.Stage = stage
	r.report.Err = err.Error()
	// Also on the console: if the results port is what failed (or never
	// opened), the console log is the only place the reason shows.
	r.logf("bpflab-guest: %s: %v", stage, err)
}

// runAll loads modules and runs every binary, then sends the final report.
func (r *runner) runAll() {
	r.report.Release = uname.ReleaseOr("")
	if err := loadModules(r.spec.Modules, r.logf); err != nil {
		r.fail("modules", err)
		r.finish()
		return
	}
	if r.spec.ArtifactsDir != "" {
		if err := os.MkdirAll(r.spec.ArtifactsDir, 0o755); err != nil {
			r.logf("bpflab-guest: artifacts: %v", err)
		}
	}
	r.send(Record{Kind: KindHello, Release: r.report.Release})
	for _, b := range r.spec.Binaries {
		r.send(Record{Kind: KindStart, Result: &Result{Name: b.Name}})
		res := r.runOne(b)
		r.report.Results = append(r.report.Results, res)
		rc := res
		rc.Output = nil // the full output travels once, in the final report
		r.send(Record{Kind: KindResult, Result: &rc})
	}
	r.finish()
}

func (r *runner) finish() {
	if r.spec.ArtifactsDir != "" {
		arts, err := ReadArtifacts(r.spec.ArtifactsDir, MaxArtifacts)
		if err != nil {
			r.logf("bpflab-guest: %v", err)
		}
		r.report.Artifacts = arts
	}
	if log, err := kmsg.ReadAll(); err != nil {
		r.logf("bpflab-guest: %v", err)
		r.report.KernelLog = "bpflab-guest: " + err.Error()
	} else {
		r.report.KernelLog = log
	}
	r.report.Done = true
	rep := r.report
	r.send(Record{Kind: KindDone, Release: rep.Release, Report: &rep})
}

// runOne runs a binary with the console as its output (through a pipe, so
// the output is also captured) and /dev/null as stdin.
func (r *runner) runOne(b Binary) Result {
	res := Result{Name: b.Name, ExitCode: -1}
	limit := r.spec.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	capture := &capped{limit: limit}
	echo := &lastByte{w: r.console, last: '\n'}
	out := io.MultiWriter(echo, capture)
	fmt.Fprintf(r.console, "\n%s%s\n", MarkRun, b.Name)
	cmd := exec.Command(b.Path, b.Args...)
	cmd.Env = append(os.Environ(), "BPFLAB_GUEST=1")
	if os.Getenv("PATH") == "" { // PID 1 gets no PATH from the kernel
		cmd.Env = append(cmd.Env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	cmd.Env = append(cmd.Env, r.spec.Env...)
	if r.spec.ArtifactsDir != "" { // last, so it wins over Spec.Env
		cmd.Env = append(cmd.Env, artifacts.Env+"="+r.spec.ArtifactsDir)
		if slices.Contains(r.spec.Env, EnvCover+"=1") {
			// GOCOVERDIR for programs built with -cover; a test binary
			// writes coverage only where -test.gocoverdir says.
			cmd.Env = append(cmd.Env, "GOCOVERDIR="+r.spec.ArtifactsDir)
			cmd.Args = append(cmd.Args, "-test.gocoverdir="+r.spec.ArtifactsDir)
		}
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Dir = os.TempDir()
	if b.Dir != "" {
		if err := os.MkdirAll(b.Dir, 0o755); err != nil {
			r.logf("bpflab-guest: %s: working dir: %v", b.Name, err)
		}
		cmd.Dir = b.Dir
	}
	start := time.Now()
	err := cmd.Run()
	res.Duration = time.Since(start)
	res.Output = capture.buf.Bytes()
	res.Truncated = capture.truncated
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			// As a shell reports it, so it is never mistaken for success.
			res.ExitCode = 128 + int(ws.Signal())
			res.Err = fmt.Sprintf("killed by signal %v", ws.Signal())
		}
	default:
		res.Err = fmt.Sprintf("start %s: %v", b.Path, err)
	}
	if echo.last != '\n' {
		fmt.Fprintln(r.console)
	}
	fmt.Fprintf(r.console, "%s%s exit=%d\n", MarkEnd, b.Name, res.ExitCode)
	return res
}

// lastByte remembers the last byte written, so the end marker starts on
// its own line without adding a blank line to the output. It never fails:
// a broken console must not stop the capture or block the child.
type lastByte struct {
	w    io.Writer
	last byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.last = p[len(p)-1]
	}
	_, _ = l.w.Write(p)
	return len(p), nil
}

// capped keeps the first limit bytes written to it and drops the rest,
// never failing the writer (the child must not see EPIPE because of us).
type capped struct {
	buf       bytes.Buffer
	limit     int
	truncated bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.limit - c.buf.Len()
	if room < len(p) {
		c.truncated = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}
