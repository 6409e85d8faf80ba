package guest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bpflab/bpflab/internal/atomicfile"
)

// SpecPath is where the qemu backend puts the Spec inside the initramfs.
const SpecPath = "/bpflab/spec.json"

// ReportFile is the name of the Report written into Spec.ResultsDir.
const ReportFile = "report.json"

// Spec tells the runner what to do. It is JSON on disk.
type Spec struct {
	Binaries []Binary `json:"binaries"`
	// Env is added to every binary's environment (KEY=VALUE).
	Env []string `json:"env,omitempty"`
	// Modules are loaded in order before any binary runs. An entry containing
	// a "/" is a path to an uncompressed .ko loaded with finit_module (an
	// already loaded module is fine); a bare name is loaded with modprobe.
	Modules []string `json:"modules,omitempty"`
	// Autoload are modules the kernel loads when it asks for them
	// (request_module, e.g. on a first NETLINK_XFRM socket): PID 1 makes
	// itself the kernel's modprobe helper, which looks the request up here.
	Autoload []AutoloadModule `json:"autoload,omitempty"`
	// ResultsDir, if set, receives ReportFile (rewritten after every binary,
	// so a later hang still leaves the earlier results).
	ResultsDir string `json:"results_dir,omitempty"`
	// ResultsPort, if set, is a serial device (e.g. /dev/ttyS1) that
	// receives framed Records, or VirtioPortPrefix+NAME for a named
	// virtio-serial port.
	ResultsPort string `json:"results_port,omitempty"`
	// PortModules are loaded (paths, as Modules) before ResultsPort is
	// opened: the drivers of a virtio results port where they are modules
	// (Debian's arm64 and s390x kernels build virtio_console as one).
	PortModules []string `json:"port_modules,omitempty"`
	// Console, if set, is where binary output is echoed (PID 1 uses
	// /dev/console); otherwise the runner's own stdout.
	Console string `json:"console,omitempty"`
	// MaxOutput caps the captured output per binary (the echo is not
	// capped). Zero means DefaultMaxOutput.
	MaxOutput int `json:"max_output,omitempty"`
	// ArtifactsDir, if set, is created before the binaries run, passed to
	// them as $BPFLAB_ARTIFACTS, and its regular files travel back in the
	// final Report (Artifacts), so a guest without a shared filesystem
	// still returns them.
	ArtifactsDir string `json:"artifacts_dir,omitempty"`
}

// EnvCover in Spec.Env ("BPFLAB_COVER=1") makes the runner point
// GOCOVERDIR and -test.gocoverdir (the binaries are go test -c -cover
// binaries then) at Spec.ArtifactsDir, so the coverage files travel back
// with the artifacts.
const EnvCover = "BPFLAB_COVER"

// MaxArtifacts bounds the artifact bytes carried in one Report.
const MaxArtifacts = 8 << 20

// DefaultMaxOutput is the per-binary capture cap when Spec.MaxOutput is 0.
const DefaultMaxOutput = 16 << 20

// Binary is one program to run.
type Binary struct {
	Name string   `json:"name"` // label, e.g. "scenarios/xdp"
	Path string   `json:"path"` // path inside the guest
	Args []string `json:"args,omitempty"`
	Dir  string   `json:"dir,omitempty"` // working dir, created if missing; default the temp dir
}

// Result is what one binary did.
type Result struct {
	Name     string        `json:"name"`
	ExitCode int           `json:"exit_code"` // -1 if it could not start, 128+N if killed by signal N
	Output   []byte        `json:"output,omitempty"`
	Duration time.Duration `json:"duration"`
	// Err says why the binary did not run or did not exit normally.
	Err       string `json:"err,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Report is the whole outcome. Err is set when setup failed (Stage says
// which step) or the runner itself broke; then Results may be incomplete.
type Report struct {
	Release string   `json:"release"` // uname -r
	Results []Result `json:"results"`
	Stage   string   `json:"stage,omitempty"` // "mount", "modules", "run", ...
	Err     string   `json:"err,omitempty"`
	Done    bool     `json:"done"` // false while binaries are still running
	// Artifacts are the files the binaries left in Spec.ArtifactsDir, by
	// base name.
	Artifacts map[string][]byte `json:"artifacts,omitempty"`
	// KernelLog is the guest kernel's log (/dev/kmsg) at the end of the
	// run, for the host's splat check.
	KernelLog string `json:"kernel_log,omitempty"`
}

// Record kinds sent on the results port.
const (
	KindHello  = "hello"  // setup finished, Release known; binaries follow
	KindStart  = "start"  // a binary is about to run (Result.Name only)
	KindResult = "result" // a binary finished
	KindDone   = "done"   // final report; nothing follows but power off
)

// Record is one framed message on the results port.
type Record struct {
	Kind    string  `json:"kind"`
	Release string  `json:"release,omitempty"`
	Result  *Result `json:"result,omitempty"`
	Report  *Report `json:"report,omitempty"`
}

// ReadSpec reads and validates a Spec file.
func ReadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse spec %s: %w", path, err)
	}
	if len(s.Binaries) == 0 {
		return nil, fmt.Errorf("spec %s lists no binaries", path)
	}
	for i, b := range s.Binaries {
		if b.Path == "" {
			return nil, fmt.Errorf("spec %s: binary %d (%q) has no path", path, i, b.Name)
		}
	}
	return &s, nil
}

// ReadReport reads ReportFile from a results directory (the vng backend's
// shared dir).
func ReadReport(dir string) (*Report, error) {
	data, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		return nil, fmt.Errorf("read guest report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse guest report %s: %w", filepath.Join(dir, ReportFile), err)
	}
	return &r, nil
}

// writeReport writes the report atomically so a reader never sees half.
func writeReport(dir string, r *Report) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ReportFile), data, 0o644); err != nil {
		return fmt.Errorf("guest report: %w", err)
	}
	return nil
}
