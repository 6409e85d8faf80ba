package matrix

import (
	"os"
	"path/filepath"
	"time"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
)

// Policy file names, next to the kernel manifest.
const (
	SplatAllowlistFile = "splat-allowlist"
	QuarantineFile     = "quarantine"
)

// policy is what the matrix applies to every kernel's results.
type policy struct {
	allow      []report.AllowedSplat
	quarantine []report.Quarantined
}

func loadPolicy(o Options) (*policy, error) {
	dir := filepath.Dir(o.Manifest)
	allowPath, qPath := o.SplatAllowlist, o.Quarantine
	if allowPath == "" {
		allowPath = filepath.Join(dir, SplatAllowlistFile)
	}
	if qPath == "" {
		qPath = filepath.Join(dir, QuarantineFile)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	allow, err := report.ReadPolicy(allowPath, report.ParseSplatAllowlist)
	if err != nil {
		return nil, err
	}
	q, err := report.ReadPolicy(qPath, func(f string, b []byte) ([]report.Quarantined, error) {
		return report.ParseQuarantine(f, b, now)
	})
	if err != nil {
		return nil, err
	}
	return &policy{allow: allow, quarantine: q}, nil
}

func (p *policy) apply(k *report.Kernel) {
	report.AllowSplats(k, p.allow)
	report.ApplyQuarantine(k, p.quarantine)
}

// repeat lists each binary n times in a row: one boot runs them all, each
// repetition in a fresh process.
func repeat(bins []vm.Binary, n int) []vm.Binary {
	if n <= 1 {
		return bins
	}
	var out []vm.Binary
	for _, b := range bins {
		for range n {
			out = append(out, b)
		}
	}
	return out
}

// parseRuns parses each result with parse; the i-th result of a binary is
// its run i, and the runs are merged per test (report.MergeRuns) when a
// binary ran more than once.
func parseRuns(results []vm.Result, parse func(binary string, output []byte, exitCode int) []report.Test) []report.Test {
	seen := map[string]int{}
	var runs [][]report.Test
	for _, r := range results {
		i := seen[r.Name]
		seen[r.Name]++
		for len(runs) <= i {
			runs = append(runs, nil)
		}
		runs[i] = append(runs[i], parse(r.Name, r.Output, r.ExitCode)...)
	}
	if len(runs) <= 1 {
		if len(runs) == 0 {
			return nil
		}
		return runs[0]
	}
	// A binary that stopped running (e.g. the kernel died) is missing from
	// the later runs: MergeRuns counts its tests as absent there.
	return report.MergeRuns(runs)
}

// kernelLog is the kernel's log for the splat check: what the backend
// read from /dev/kmsg, else the console (which, with "quiet", shows only
// the most severe messages: BUG, Oops, panics, lockups).
func kernelLog(run *vm.Run) string {
	if run.KernelLog != "" {
		return run.KernelLog
	}
	if run.Console == "" {
		return ""
	}
	data, err := os.ReadFile(run.Console)
	if err != nil {
		return ""
	}
	return string(data)
}
