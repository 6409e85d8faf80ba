// Package vm runs scenario test binaries on one kernel through a backend:
// the host itself, virtme-ng, or a direct qemu boot. Every backend speaks the
// same Job/Run contract so the matrix, reports and `bpflab exec` do not care
// which one ran.
package vm

import (
	"context"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/bpflab/bpflab/internal/guest"
)

// Kernel is a bootable kernel as the backends need it. The kernel store
// (internal/kernel) produces these; the host backend ignores it.
type Kernel struct {
	Name       string // matrix name, e.g. "6.1"
	Release    string // uname -r, e.g. "6.1.0-56-amd64"
	Vmlinuz    string // path to the bzImage
	ModulesDir string // path to lib/modules/<release> (may be empty)
	// Arch is the kernel's architecture as GOARCH names it ("amd64",
	// "arm64", "s390x"); "" means amd64. It picks the qemu machine, the
	// guest runner and the test binaries' GOARCH.
	Arch string
	// BTF, if set, is a detached BTF file describing a kernel built
	// without CONFIG_DEBUG_INFO_BTF; the qemu backend gives it to the
	// guest as the kernel's types (see internal/kernelbtf).
	BTF string
}

// GoArch is k's architecture, "amd64" when unset.
func (k *Kernel) GoArch() string {
	if k == nil || k.Arch == "" {
		return "amd64"
	}
	return k.Arch
}

// Binary is one executable to run inside the kernel, usually a static
// `go test -c` binary of a scenario package: the guest protocol's Binary,
// its Path a host path here (the backend carries it into the guest).
type Binary = guest.Binary

// Job is everything a backend needs to run binaries on one kernel.
type Job struct {
	Kernel   *Kernel  // nil means the host kernel
	Binaries []Binary // run in order, each in a fresh process
	Env      []string // extra environment for the binaries
	Modules  []string // kernel modules to load first (e.g. "veth")
	// Autoload are kernel modules carried into the guest but loaded only
	// when the kernel requests them (a first NETLINK_XFRM socket loads
	// xfrm_user, a first veth link veth), as modprobe would (qemu only).
	Autoload []string
	WorkDir  string // private scratch dir for this job (console log, results)
	Timeout  time.Duration
	// Files are extra input files for the binaries, by absolute guest path
	// (e.g. "/bpflab/files/capture.pcap") -> host path. The qemu backend
	// puts them in the initramfs; the host and vng backends, which see the
	// host's filesystem, do not support them (callers pass host paths).
	Files map[string]string
	// Tools are host executables (e.g. /usr/sbin/bpftool) the binaries may
	// run. The qemu backend carries each to the same path with its ELF
	// interpreter and shared libraries; the host and vng backends see the
	// host's files and ignore this.
	Tools []string
	// Runner is the static guest runner for the kernel's architecture
	// (qemu only); empty means the backend's own for the host's
	// architecture, else bpflab cross-built for it (guest.RunnerBinaryFor).
	Runner string
	// Stream, if set, receives the binaries' combined output as it happens.
	Stream func(binary string, line []byte)
}

// Result is what one binary did: the guest protocol's Result, which the
// host backend fills in the same way.
type Result = guest.Result

// GuestResults are a guest runner's results as the host shows them: a
// binary's Err (why it did not run or exit normally) is appended to its
// Output as a "bpflab-guest:" line, where the report's readers see it.
func GuestResults(rs ...guest.Result) []Result {
	out := make([]Result, 0, len(rs))
	for _, r := range rs {
		if r.Err != "" {
			r.Output = append(append([]byte(nil), r.Output...), "\nbpflab-guest: "+r.Err+"\n"...)
		}
		if r.Truncated { // the cut also loses the final frame: the parser fails "(output)"
			r.Output = append(append([]byte(nil), r.Output...), "\nbpflab-guest: output truncated at the capture limit; what followed is lost\n"...)
		}
		out = append(out, r)
	}
	return out
}

// Run is the outcome of one Job on one kernel.
type Run struct {
	Backend string
	Accel   string // "kvm", "tcg" or "host"
	Release string // uname -r seen inside the kernel
	Results []Result
	Phases  []Phase
	Console string // path to the saved console log, if any
	// KernelLog is the kernel's log during the run (dmesg text): a guest's
	// from boot, the host's from the job's start. Empty if unavailable.
	KernelLog string
}

// Phase is a timed step of a run (boot, test, shutdown, ...).
type Phase struct {
	Name     string
	Duration time.Duration
}

// Backend boots (or not) a kernel and runs a Job in it. A returned error
// means the job did not complete (boot failure, panic, hang); it should be a
// *PhaseError naming where it stopped.
type Backend interface {
	Name() string
	Run(ctx context.Context, job Job) (*Run, error)
}

// PhaseError reports which phase of a run failed and the console tail.
type PhaseError struct {
	Phase       string // "download", "boot", "test", "shutdown", ...
	Err         error
	ConsoleTail string
}

func (e *PhaseError) Error() string {
	msg := e.Phase + ": " + e.Err.Error()
	if e.ConsoleTail != "" {
		msg += "\n--- console tail ---\n" + e.ConsoleTail
	}
	return msg
}

func (e *PhaseError) Unwrap() error { return e.Err }

// FindTools returns the absolute host paths of the named executables that
// are on PATH, for Job.Tools; missing ones are left out (the scenarios
// that need one skip and say so).
func FindTools(names ...string) []string {
	var out []string
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	return out
}
