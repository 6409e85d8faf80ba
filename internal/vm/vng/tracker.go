package vng

import (
	"io"
	"strings"
	"sync"
	"time"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
)

// tracker follows the runner's markers on vng's stdout to know the phase
// (boot until the first binary starts, test, shutdown after the last one
// ends) and streams each binary's lines to the job.
type tracker struct {
	mu      sync.Mutex
	start   time.Time
	testAt  time.Time // first binary started
	lastEnd time.Time // a binary ended and no other started since
	running string
	stream  func(string, []byte)
}

func newTracker(start time.Time, stream func(string, []byte)) *tracker {
	return &tracker{start: start, stream: stream}
}

// scanConsole reads the kernel console (vng's stderr with --verbose). Without
// udev in the guest, vng shows the command's output only there, so a run
// marker on the console also ends the boot phase.
func (t *tracker) scanConsole(r io.Reader) {
	scanLines(r, func(line string) {
		if i := strings.Index(line, guest.MarkRun); i >= 0 {
			t.mu.Lock()
			if t.testAt.IsZero() {
				t.testAt = time.Now()
				t.running = strings.TrimPrefix(line[i:], guest.MarkRun)
			}
			t.mu.Unlock()
		}
	})
}

func (t *tracker) scan(r io.Reader) {
	scanLines(r, func(line string) {
		t.mu.Lock()
		defer t.mu.Unlock()
		switch {
		case strings.HasPrefix(line, guest.MarkRun):
			if t.testAt.IsZero() {
				t.testAt = time.Now()
			}
			t.running = strings.TrimPrefix(line, guest.MarkRun)
			t.lastEnd = time.Time{}
		case strings.HasPrefix(line, guest.MarkEnd):
			t.running = ""
			t.lastEnd = time.Now()
		case t.running != "" && t.stream != nil:
			t.stream(t.running, []byte(line))
		}
	})
}

// phase returns the current phase and how long it has lasted.
func (t *tracker) phase() (string, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.testAt.IsZero():
		return "boot", time.Since(t.start)
	case t.running == "" && !t.lastEnd.IsZero():
		return "shutdown", time.Since(t.lastEnd)
	default:
		return "test", time.Since(t.testAt)
	}
}

// where says in words where the run is, for error messages.
func (t *tracker) where() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.testAt.IsZero():
		return "booting (no binary started yet)"
	case t.running != "":
		return "running " + t.running
	default:
		return "between binaries or shutting down"
	}
}

// phases returns boot/test/shutdown durations up to end. Without markers it
// is all boot. The shutdown phase starts at the last binary's end.
func (t *tracker) phases(end time.Time) []vm.Phase {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.testAt.IsZero() {
		return []vm.Phase{{Name: "boot", Duration: end.Sub(t.start)}}
	}
	ps := []vm.Phase{{Name: "boot", Duration: t.testAt.Sub(t.start)}}
	testEnd := end
	if !t.lastEnd.IsZero() {
		testEnd = t.lastEnd
	}
	ps = append(ps, vm.Phase{Name: "test", Duration: testEnd.Sub(t.testAt)})
	if !t.lastEnd.IsZero() {
		ps = append(ps, vm.Phase{Name: "shutdown", Duration: end.Sub(t.lastEnd)})
	}
	return ps
}
