package kernel

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports a download that apt-get runs: it polls the size of the
// files apt writes into dir. On a terminal it draws a bar; otherwise (CI)
// it prints one line when it starts and one when it ends.
type progress struct {
	log   io.Writer
	what  string
	size  int64
	start time.Time
	bar   *progressbar.ProgressBar
	stop  chan struct{}
	done  chan struct{}
}

func newProgress(log io.Writer, what string, size int64, dir string) *progress {
	p := &progress{log: log, what: what, size: size, start: time.Now()}
	if f, ok := log.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(log),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.poll(dir)
		return p
	}
	fmt.Fprintf(log, "kernel: %s (%s)...\n", what, humanBytes(size))
	return p
}

func (p *progress) poll(dir string) {
	defer close(p.done)
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			_ = p.bar.Set64(dirSize(dir))
		}
	}
}

func (p *progress) finish(err error) {
	if p.bar != nil {
		close(p.stop)
		<-p.done
		_ = p.bar.Finish()
	}
	d := time.Since(p.start)
	if err != nil {
		fmt.Fprintf(p.log, "kernel: %s failed after %s\n", p.what, d.Round(100*time.Millisecond))
		return
	}
	rate := float64(p.size) / d.Seconds()
	fmt.Fprintf(p.log, "kernel: %s (%s) done in %s (%s/s)\n", p.what, humanBytes(p.size),
		d.Round(100*time.Millisecond), humanBytes(int64(rate)))
}

// dirSize sums the regular files under dir (apt writes into partial/ first).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
