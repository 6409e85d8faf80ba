package execve

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"

	"github.com/bpflab/bpflab/internal/kernelbtf"
	"github.com/bpflab/bpflab/internal/loaderr"
)

// ErrNotAttached is returned when reading counts or events from a tracker
// that was loaded but whose tracepoints are not attached: it would never
// see an exec.
var ErrNotAttached = errors.New("execve tracker is loaded but not attached (call Attach)")

// Transport names, as returned by Tracker.Transport.
const (
	TransportRingbuf = "ringbuf"
	TransportPerf    = "perf"
)

// Options configure Load.
type Options struct {
	// ForcePerf sends events through the perf event array even when the
	// kernel has ring buffers, to exercise the pre-5.8 path.
	ForcePerf bool
	// EventTGID, when non-zero, limits events to this process. Counts
	// always cover every process.
	EventTGID uint32
	// PerfBufferPages is the per-CPU perf buffer size in pages (default 64).
	PerfBufferPages int
	// CountEntries is the capacity of the per-process count table
	// (default: the object's, 65536). When it is full, execs of processes
	// not yet in it are not counted and the program's diag records the
	// failed inserts (E2BIG) after its retries.
	CountEntries uint32
	// Signing selects the object and the keys it must be signed by.
	Signing Signing
}

// Tracker is a loaded execve tracker.
type Tracker struct {
	objs      execveObjects
	transport string
	links     []link.Link
	opts      Options
	// mu guards events: Close may run while another goroutine waits in
	// ReadEvent, which then returns an error wrapping os.ErrClosed.
	mu     sync.Mutex
	events eventReader
	lost   uint64
}

// Load loads the programs and maps into the kernel without attaching them.
// Verifier errors carry the full log; print them with %+v.
func Load(opts Options) (*Tracker, error) {
	spec, err := opts.Signing.LoadSpec(EmbeddedObject())
	if err != nil {
		return nil, fmt.Errorf("load execve spec: %w", err)
	}
	transport := TransportPerf
	if !opts.ForcePerf {
		switch err := features.HaveMapType(ebpf.RingBuf); {
		case err == nil:
			transport = TransportRingbuf
		case errors.Is(err, ebpf.ErrNotSupported):
		default:
			return nil, fmt.Errorf("probe ring buffer support: %w", err)
		}
	}
	useRingbuf := transport == TransportRingbuf
	if err := spec.Variables[execveVarUseRingbuf].Set(useRingbuf); err != nil {
		return nil, fmt.Errorf("set use_ringbuf: %w", err)
	}
	if err := spec.Variables[execveVarTargetTgid].Set(opts.EventTGID); err != nil {
		return nil, fmt.Errorf("set target_tgid: %w", err)
	}
	// The program still references the unused event map, so it must exist;
	// a one-slot array stands in for it (a ring buffer cannot be created
	// before 5.8). The verifier prunes the branch that uses it.
	unused := execveMapEventsPerf
	if !useRingbuf {
		unused = execveMapEventsRb
	}
	spec.Maps[unused] = &ebpf.MapSpec{Name: unused, Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}

	if opts.CountEntries > 0 {
		spec.Maps[execveMapExecCounts].MaxEntries = opts.CountEntries
	}

	t := &Tracker{transport: transport, opts: opts}
	if err := spec.LoadAndAssign(&t.objs, &ebpf.CollectionOptions{Cache: kernelbtf.Cache()}); err != nil {
		return nil, loaderr.Wrap(fmt.Sprintf("load execve tracker (%s events)", transport), err)
	}
	return t, nil
}

// Transport reports how events reach user space: "ringbuf" or "perf".
func (t *Tracker) Transport() string { return t.transport }

// Attach attaches both tracepoints and opens the event reader.
func (t *Tracker) Attach() error {
	if t.Attached() {
		return errors.New("attach execve tracker: already attached")
	}
	for _, tp := range []struct {
		name string
		prog *ebpf.Program
	}{
		{"sys_enter_execve", t.objs.TraceExecve},
		{"sys_enter_execveat", t.objs.TraceExecveat},
	} {
		l, err := link.Tracepoint("syscalls", tp.name, tp.prog, nil)
		if err != nil {
			t.detach()
			return fmt.Errorf("attach tracepoint syscalls/%s: %w", tp.name, err)
		}
		t.links = append(t.links, l)
	}
	ev, err := t.openReader()
	if err != nil {
		t.detach()
		return err
	}
	t.mu.Lock()
	t.events = ev
	t.mu.Unlock()
	return nil
}

// Attached reports whether both tracepoints are attached.
func (t *Tracker) Attached() bool { return len(t.links) == 2 && t.reader() != nil }

// reader returns the event reader, nil before Attach and after Close.
func (t *Tracker) reader() eventReader {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events
}

func (t *Tracker) detach() error {
	var errs []error
	for _, l := range t.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detach %v: %w", l, err))
		}
	}
	t.links = nil
	return errors.Join(errs...)
}

// Count returns the number of execve/execveat calls made by process tgid
// since the tracker was attached (0 if none).
func (t *Tracker) Count(tgid uint32) (uint64, error) {
	if !t.Attached() {
		return 0, fmt.Errorf("count execs of tgid %d: %w", tgid, ErrNotAttached)
	}
	var n uint64
	err := t.objs.ExecCounts.Lookup(tgid, &n)
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count execs of tgid %d: %w", tgid, err)
	}
	return n, nil
}

// Counts returns the calls of every process seen, by TGID.
func (t *Tracker) Counts() (map[uint32]uint64, error) {
	if !t.Attached() {
		return nil, fmt.Errorf("read exec counts: %w", ErrNotAttached)
	}
	out := make(map[uint32]uint64)
	var (
		tgid uint32
		n    uint64
	)
	it := t.objs.ExecCounts.Iterate()
	for it.Next(&tgid, &n) {
		out[tgid] = n
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("read exec counts: %w", err)
	}
	return out, nil
}

// Forget drops the count of process tgid, so its next exec call inserts a
// fresh entry (a recycled PID then starts from zero). Forgetting a process
// that has no count is not an error.
func (t *Tracker) Forget(tgid uint32) error {
	err := t.objs.ExecCounts.Delete(tgid)
	if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("forget exec count of tgid %d: %w", tgid, err)
	}
	return nil
}

// Diag are the program's own error counters.
type Diag struct {
	CountFailed    uint64 // exec_counts insert failed even after retries: the count is short
	EventsDropped  uint64 // event buffer full
	FilenameFaults uint64 // filename unreadable, sent empty
	CountRetried   uint64 // inserts that failed transiently and were retried
	CountLastErrno uint64 // errno of the last failed insert (e.g. 16 EBUSY, 7 E2BIG)
	CountRaced     uint64 // inserts that lost to another CPU's (EEXIST) and added instead
}

// Diag reads the program's error counters.
func (t *Tracker) Diag() (Diag, error) {
	var d Diag
	for idx, dst := range map[execveExecDiag]*uint64{
		execveExecDiagEXEC_DIAG_COUNT_FAILED:   &d.CountFailed,
		execveExecDiagEXEC_DIAG_EVENT_DROPPED:  &d.EventsDropped,
		execveExecDiagEXEC_DIAG_FILENAME_FAULT: &d.FilenameFaults,
		execveExecDiagEXEC_DIAG_COUNT_RETRIED:  &d.CountRetried,
		execveExecDiagEXEC_DIAG_COUNT_LAST_ERR: &d.CountLastErrno,
		execveExecDiagEXEC_DIAG_COUNT_RACED:    &d.CountRaced,
	} {
		if err := t.objs.Diag.Lookup(uint32(idx), dst); err != nil {
			return Diag{}, fmt.Errorf("read execve diag %d: %w", idx, err)
		}
	}
	return d, nil
}

// Close detaches the tracepoints and releases everything.
func (t *Tracker) Close() error {
	var errs []error
	t.mu.Lock()
	ev := t.events
	t.events = nil
	t.mu.Unlock()
	if ev != nil {
		// Interrupts a ReadEvent waiting in another goroutine.
		if err := ev.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s reader: %w", t.transport, err))
		}
	}
	errs = append(errs, t.detach())
	if err := t.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close execve objects: %w", err))
	}
	return errors.Join(errs...)
}

// Missed returns how many times the kernel skipped the tracker's programs
// since they were loaded (bpf_prog_info.recursion_misses, Linux >= 5.12; 0
// before). trace_call_bpf skips a tracepoint program, and counts a miss,
// when bpf_prog_active is already raised on that CPU. On fully or lazily
// preemptible kernels (Debian 7.x boots "full (lazy)"; 6.12 and older boot
// "voluntary") a task can be preempted while it holds it, and an exec on
// that CPU then goes uncounted: every exec call is counted except these.
func (t *Tracker) Missed() (uint64, error) {
	var n uint64
	for _, p := range []*ebpf.Program{t.objs.TraceExecve, t.objs.TraceExecveat} {
		st, err := p.Stats()
		if err != nil {
			return 0, fmt.Errorf("read execve tracker misses: %w", err)
		}
		n += st.RecursionMisses
	}
	return n, nil
}
