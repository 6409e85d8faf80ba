package matrix

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bpflab/bpflab/harness/report"
)

// Progress hears about the matrix as it runs. Methods may be called from
// several kernels at once.
type Progress interface {
	Note(msg string)
	Phase(kernel, phase string)
	Line(kernel, binary string, line []byte) // a test binary's output line
	KernelDone(k *report.Kernel)
	Writer() io.Writer // for logs of lower layers (the kernel store)
}

type quiet struct{}

func (quiet) Note(string)                 {}
func (quiet) Phase(string, string)        {}
func (quiet) Line(string, string, []byte) {}
func (quiet) KernelDone(*report.Kernel)   {}
func (quiet) Writer() io.Writer           { return io.Discard }

// topResult is a top-level test's framed result line (-test.v=test2json
// puts subtests' results at the left margin too; their names hold "/").
var topResult = regexp.MustCompile(`^\x16--- (PASS|FAIL|SKIP): ([^/\s]+) \(([0-9.]+s)\)`)

// Lines prints one plain line per event: for CI logs and pipes.
type Lines struct {
	mu sync.Mutex
	W  io.Writer
}

// NewLines returns a plain-line progress printer.
func NewLines(w io.Writer) *Lines { return &Lines{W: w} }

func (l *Lines) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.W, format+"\n", a...)
}

// Note implements Progress.
func (l *Lines) Note(msg string) { l.printf("matrix: %s", msg) }

// Phase implements Progress.
func (l *Lines) Phase(kernel, phase string) { l.printf("[%s] %s", kernel, phase) }

// Line implements Progress: top-level test results only.
func (l *Lines) Line(kernel, binary string, line []byte) {
	if m := topResult.FindSubmatch(line); m != nil {
		l.printf("[%s] %-4s %s %s (%s)", kernel, strings.ToLower(string(m[1])), binary, m[2], m[3])
	}
}

// KernelDone implements Progress.
func (l *Lines) KernelDone(k *report.Kernel) { l.printf("%s", doneLine(k)) }

// Writer implements Progress.
func (l *Lines) Writer() io.Writer { return lockedWriter{l} }

type lockedWriter struct{ l *Lines }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.W.Write(p)
}

func doneLine(k *report.Kernel) string {
	p, f, s := k.Counts()
	msg := fmt.Sprintf("[%s] done in %.1fs (%s/%s): %d pass, %d fail, %d skip", k.Name,
		time.Duration(k.Duration).Seconds(), k.Backend, k.Accel, p, f, s)
	if k.Error != "" {
		msg += fmt.Sprintf("; did not complete in phase %s: %s", k.ErrorPhase, strings.SplitN(k.Error, "\n", 2)[0])
	}
	return msg
}

// Bars draws one progress bar (kernels done) whose description shows what
// each running kernel is doing; notes and kernel results print above it.
type Bars struct {
	mu     sync.Mutex
	w      io.Writer
	bar    *progressbar.ProgressBar
	status map[string]string
	tests  map[string]int
}

// NewBars returns a terminal progress display for n kernels.
func NewBars(w io.Writer, n int) *Bars {
	return &Bars{
		w: w, status: map[string]string{}, tests: map[string]int{},
		bar: progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false), progressbar.OptionSetWidth(20),
			progressbar.OptionSetDescription("kernels"), progressbar.OptionSetRenderBlankState(true)),
	}
}

// above prints a line above the bar. Callers hold mu.
func (b *Bars) above(line string) {
	_ = b.bar.Clear()
	fmt.Fprintln(b.w, line)
	_ = b.bar.RenderBlank()
}

func (b *Bars) describe() {
	names := make([]string, 0, len(b.status))
	for n := range b.status {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s: %s (%d tests)", n, b.status[n], b.tests[n]))
	}
	b.bar.Describe(strings.Join(parts, " | "))
}

// Note implements Progress.
func (b *Bars) Note(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.above("matrix: " + msg)
}

// Phase implements Progress.
func (b *Bars) Phase(kernel, phase string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status[kernel] = phase
	b.describe()
}

// Line implements Progress.
func (b *Bars) Line(kernel, binary string, line []byte) {
	if !topResult.Match(line) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tests[kernel]++
	b.describe()
}

// KernelDone implements Progress.
func (b *Bars) KernelDone(k *report.Kernel) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.status, k.Name)
	b.describe()
	b.above(doneLine(k))
	_ = b.bar.Add(1)
}

// Writer implements Progress.
func (b *Bars) Writer() io.Writer { return barWriter{b} }

type barWriter struct{ b *Bars }

func (w barWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	w.b.above(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
