// Package privilege states which capabilities each bpflab job needs, checks
// them before anything is loaded, and turns a kernel EPERM into a message
// that names the missing capability. Since 5.8 CAP_BPF, CAP_PERFMON and
// CAP_NET_ADMIN split what used to need CAP_SYS_ADMIN.
package privilege

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Cap is a Linux capability number.
type Cap uint

// Capabilities bpflab cares about.
const (
	CapNetAdmin Cap = unix.CAP_NET_ADMIN
	CapSysAdmin Cap = unix.CAP_SYS_ADMIN
	CapPerfmon  Cap = unix.CAP_PERFMON
	CapBPF      Cap = unix.CAP_BPF
	// CapDACReadSearch lets a non-root tracer read tracepoint ids in tracefs
	// (root-only by default); a tracefs mounted with gid=/mode= avoids it.
	CapDACReadSearch Cap = unix.CAP_DAC_READ_SEARCH
)

func (c Cap) String() string {
	switch c {
	case CapNetAdmin:
		return "CAP_NET_ADMIN"
	case CapSysAdmin:
		return "CAP_SYS_ADMIN"
	case CapPerfmon:
		return "CAP_PERFMON"
	case CapBPF:
		return "CAP_BPF"
	case CapDACReadSearch:
		return "CAP_DAC_READ_SEARCH"
	}
	return fmt.Sprintf("cap(%d)", uint(c))
}

// Job is something bpflab does that needs privileges.
type Job string

// The jobs and what they need on a kernel with CAP_BPF (>= 5.8). Measured,
// not assumed: the XDP firewall also needs CAP_PERFMON, because bounding the
// IPv4 header by its IHL is variable packet-pointer arithmetic, which the
// verifier allows only when Spectre v1 hardening may be bypassed
// ("pointer arithmetic with it prohibited for !root").
const (
	JobXDP     Job = "load and attach the XDP firewall"
	JobTracing Job = "load and attach the execve tracker"
	JobMaps    Job = "read or write BPF maps"
)

// Required lists the capabilities job needs. On kernels that predate
// CAP_BPF (< 5.8) everything falls back to CAP_SYS_ADMIN.
func Required(job Job, kernelHasCapBPF bool) []Cap {
	if !kernelHasCapBPF {
		if job == JobXDP {
			return []Cap{CapSysAdmin, CapNetAdmin}
		}
		return []Cap{CapSysAdmin}
	}
	switch job {
	case JobXDP:
		return []Cap{CapBPF, CapNetAdmin, CapPerfmon}
	case JobTracing:
		return []Cap{CapBPF, CapPerfmon}
	default:
		return []Cap{CapBPF}
	}
}

// KernelHasCapBPF reports whether the running kernel knows CAP_BPF.
func KernelHasCapBPF() (bool, error) {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return false, fmt.Errorf("read cap_last_cap: %w", err)
	}
	last, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return false, fmt.Errorf("parse cap_last_cap %q: %w", data, err)
	}
	return last >= int(CapBPF), nil
}

// Effective returns the calling thread's effective capability set.
func Effective() (uint64, error) {
	data, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return 0, fmt.Errorf("read capabilities: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("read capabilities: no CapEff line in /proc/thread-self/status")
}

// MissingError says which capabilities a job lacks.
type MissingError struct {
	Job     Job
	Missing []Cap
	Hint    string // why, when it is not obvious
}

func (e *MissingError) Error() string {
	names := make([]string, len(e.Missing))
	for i, c := range e.Missing {
		names[i] = c.String()
	}
	msg := fmt.Sprintf("missing %s to %s; run as root or grant it, e.g. `setcap %s+ep bpflab`",
		strings.Join(names, " and "), e.Job, strings.ToLower(strings.Join(names, ",")))
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Is makes errors.Is(err, unix.EPERM) hold, as the kernel would have said.
func (e *MissingError) Is(target error) bool { return target == unix.EPERM }

// Check returns a *MissingError when the effective set lacks what job needs.
// CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON, as in the kernel.
func Check(job Job) error {
	hasBPF, err := KernelHasCapBPF()
	if err != nil {
		return err
	}
	eff, err := Effective()
	if err != nil {
		return err
	}
	var missing []Cap
	for _, c := range Required(job, hasBPF) {
		if !have(eff, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return &MissingError{Job: job, Missing: missing}
	}
	if job == JobTracing && !have(eff, CapDACReadSearch) {
		// Attaching a tracepoint reads its id from tracefs.
		f, err := os.Open(tracepointID)
		if errors.Is(err, fs.ErrPermission) {
			return &MissingError{Job: job, Missing: []Cap{CapDACReadSearch},
				Hint: "tracefs is not readable (" + tracepointID + "); or mount tracefs with gid=GROUP,mode=0750 for the tracer's group"}
		}
		if err == nil {
			f.Close()
		}
	}
	if job == JobTracing && !have(eff, CapSysAdmin) {
		// Debian's kernels carry a patch: perf_event_paranoid=3 (their
		// default) refuses every perf_event_open, tracepoints included,
		// without CAP_SYS_ADMIN; CAP_PERFMON is not enough there.
		if p, err := PerfEventParanoid(); err == nil && p >= 3 {
			return &MissingError{Job: job, Missing: []Cap{CapSysAdmin},
				Hint: fmt.Sprintf("kernel.perf_event_paranoid=%d refuses perf events without CAP_SYS_ADMIN (a Debian kernel patch); `sysctl kernel.perf_event_paranoid=2` lets CAP_PERFMON suffice", p)}
		}
	}
	return nil
}

const tracepointID = "/sys/kernel/tracing/events/syscalls/sys_enter_execve/id"

func have(eff uint64, c Cap) bool {
	if eff&(1<<uint(c)) != 0 {
		return true
	}
	return (c == CapBPF || c == CapPerfmon) && eff&(1<<uint(CapSysAdmin)) != 0
}

// Explain wraps an EPERM (or the verifier's EACCES) from the kernel with the
// capabilities job lacks; other errors come back unchanged.
func Explain(job Job, err error) error {
	if err == nil || !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
		return err
	}
	var me *MissingError
	if errors.As(err, &me) {
		return err
	}
	if cerr := Check(job); cerr != nil {
		return fmt.Errorf("%w (kernel said: %v)", cerr, err)
	}
	return err
}

// UnprivilegedBPFDisabled reads kernel.unprivileged_bpf_disabled:
// 0 = users without capabilities may load some programs, 1 = never
// (permanently), 2 = not (admin may change it back).
func UnprivilegedBPFDisabled() (int, error) {
	data, err := os.ReadFile("/proc/sys/kernel/unprivileged_bpf_disabled")
	if err != nil {
		return 0, fmt.Errorf("read kernel.unprivileged_bpf_disabled: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// PerfEventParanoid reads kernel.perf_event_paranoid.
func PerfEventParanoid() (int, error) {
	data, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	if err != nil {
		return 0, fmt.Errorf("read kernel.perf_event_paranoid: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}
