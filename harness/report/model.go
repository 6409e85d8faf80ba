package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/bpflab/bpflab/harness/loadreport"
)

// Status is a test's outcome.
type Status string

// Test outcomes.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Duration is a time.Duration that reads as seconds in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as (fractional) seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(time.Duration(d).Seconds(), 'f', 3, 64)), nil
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: %w", b, err)
	}
	*d = Duration(s * float64(time.Second))
	return nil
}

// Test is one (sub)test of one scenario package on one kernel.
type Test struct {
	Package  string   `json:"package"` // e.g. "scenarios/xdp"
	Name     string   `json:"name"`    // e.g. "TestBlock/ipv6"
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"` // skip reason or failure message
	Output   string   `json:"output,omitempty"` // the test's output, kept on failure
	Duration Duration `json:"seconds"`
	// Quarantined is the reason (and expiry) of the quarantine entry that
	// covers this test: its failure shows but does not fail the kernel.
	Quarantined string `json:"quarantined,omitempty"`
	// Runs are the verdicts of each repetition (--count N > 1), in order.
	Runs []Status `json:"runs,omitempty"`
	// Cached is set when the result was reused from an earlier passing run
	// of the byte-identical binary on the identical kernel (the result
	// cache); Duration is then that run's.
	Cached bool `json:"cached,omitempty"`
}

// Phase is a timed step of a kernel's run (fetch, boot, test, ...).
type Phase struct {
	Name     string   `json:"name"`
	Duration Duration `json:"seconds"`
}

// Kernel is everything one kernel of the matrix produced.
type Kernel struct {
	Name    string `json:"name"`              // matrix name, e.g. "6.1"
	Release string `json:"release,omitempty"` // uname -r
	Suite   string `json:"suite,omitempty"`   // Debian suite it came from
	Package string `json:"package,omitempty"` // Debian package name
	Version string `json:"version,omitempty"` // Debian package version
	Backend string `json:"backend"`
	Accel   string `json:"accel,omitempty"` // kvm, tcg or host
	// Arch, BTF and JIT describe a fetched kernel: its architecture, where
	// its BTF comes from ("kernel" or "dbg+pahole") and whether BPF
	// programs are JIT-compiled ("jit") or interpreted ("interpreter").
	Arch   string  `json:"arch,omitempty"`
	BTF    string  `json:"btf,omitempty"`
	JIT    string  `json:"jit,omitempty"`
	Phases []Phase `json:"phases,omitempty"`
	// Error and ErrorPhase say why the kernel's run did not complete (boot
	// failure, panic, hang); ConsoleTail is the last of its console.
	Error       string   `json:"error,omitempty"`
	ErrorPhase  string   `json:"error_phase,omitempty"`
	ConsoleTail string   `json:"console_tail,omitempty"`
	Console     string   `json:"console,omitempty"` // path of the full console log
	Duration    Duration `json:"seconds"`
	Tests       []Test   `json:"tests"`
	// Artifacts are the files the kernel's scenarios left (paths on the
	// machine that ran it); LoadReport and Probes are copies of the load
	// report and probe results among them, so a merged or saved matrix
	// still carries them.
	Artifacts []string `json:"artifacts,omitempty"`
	// Splats are warnings and errors the kernel logged during the run
	// (ScanSplats); one no allowlist covers fails the kernel.
	Splats     []Splat            `json:"splats,omitempty"`
	LoadReport *loadreport.Report `json:"load_report,omitempty"`
	Probes     json.RawMessage    `json:"probes,omitempty"`
}

// Failed reports whether the kernel's run or any of its tests failed.
func (k *Kernel) Failed() bool {
	if k.Error != "" || len(k.UnallowedSplats()) > 0 {
		return true
	}
	for _, t := range k.Tests {
		if t.Status == Fail && t.Quarantined == "" {
			return true
		}
	}
	return false
}

// Counts returns how many tests passed, failed and skipped.
func (k *Kernel) Counts() (pass, fail, skip int) {
	for _, t := range k.Tests {
		switch t.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		case Skip:
			skip++
		}
	}
	return pass, fail, skip
}

// CachedCount returns how many of the kernel's results came from the
// result cache.
func (k *Kernel) CachedCount() int {
	n := 0
	for _, t := range k.Tests {
		if t.Cached {
			n++
		}
	}
	return n
}

// Matrix is the result of one `bpflab matrix` run.
type Matrix struct {
	Started  time.Time `json:"started"`
	Duration Duration  `json:"seconds"`
	// Backend is the backend selected for non-host kernels; repro commands
	// name it when it differs from DefaultBackend.
	Backend        string `json:"backend"`
	DefaultBackend string `json:"-"`
	// Tool is the command that made the report: "" for bpflab matrix,
	// "check" for bpflab check (packages are then object files).
	Tool    string   `json:"tool,omitempty"`
	Kernels []Kernel `json:"kernels"`
}

// Failed reports whether anything in the matrix failed.
func (m *Matrix) Failed() bool {
	for i := range m.Kernels {
		if m.Kernels[i].Failed() {
			return true
		}
	}
	return false
}
