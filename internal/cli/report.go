package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/kernel"
)

// outputs are the report files and checks shared by `matrix` and
// `report merge`.
type outputs struct {
	json, junit, markdown, baseline string
	loads                           bool // --report: load reports and probes
	// regressionsOnly: with a baseline, known failures do not fail the
	// run, only regressions do (bpflab check as a CI gate).
	regressionsOnly bool
}

func (o *outputs) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.json, "json", "", "write the results as JSON to `FILE`")
	fs.StringVar(&o.junit, "junit", "", "write JUnit XML (one testsuite per kernel) to `FILE`")
	fs.StringVar(&o.markdown, "markdown", "", "write a Markdown summary (for a CI job page) to `FILE`")
	fs.StringVar(&o.baseline, "baseline", "", "compare with a previous run's JSON `FILE`; exit non-zero on a regression")
	fs.BoolVar(&o.loads, "report", false, "also print the kernels' load-report differences, verifier statistics and probes")
}

// readBaseline reads --baseline before the (slow) run, so a bad file
// stops at once.
func (o *outputs) readBaseline() (*report.Matrix, error) {
	if o.baseline == "" {
		return nil, nil
	}
	m, err := report.ReadFile(o.baseline)
	if err != nil {
		return nil, command.Usagef("--baseline: %w", err)
	}
	return m, nil
}

// finish prints the table (and what the flags ask for), writes the files,
// and returns the exit: 1 naming the failed kernels, or on a regression
// against the baseline.
func (o *outputs) finish(m *report.Matrix, baseline *report.Matrix, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout)
	if err := report.WriteTable(stdout, m); err != nil {
		return err
	}
	if o.loads {
		if err := report.WriteLoadReports(stdout, m); err != nil {
			return err
		}
	}
	var regressions []report.Change
	if baseline != nil {
		changes := report.Compare(baseline, m)
		if err := report.WriteComparison(stdout, o.baseline, changes); err != nil {
			return err
		}
		regressions = report.Regressions(changes)
	}
	for _, f := range []struct {
		path  string
		write func(*os.File, *report.Matrix) error
	}{
		{o.json, func(w *os.File, m *report.Matrix) error { return report.WriteJSON(w, m) }},
		{o.junit, func(w *os.File, m *report.Matrix) error { return report.WriteJUnit(w, m) }},
		{o.markdown, func(w *os.File, m *report.Matrix) error { return report.WriteMarkdown(w, m) }},
	} {
		if err := writeFile(f.path, m, f.write); err != nil {
			return err
		}
	}
	if failed := m.FailedKernels(); len(failed) > 0 && !(o.regressionsOnly && baseline != nil) {
		fmt.Fprintf(stderr, "bpflab: failed kernels: %s\n", strings.Join(failed, ", "))
		return &command.ExitError{Code: command.ExitFailure}
	}
	if len(regressions) > 0 {
		return &command.ExitError{Code: command.ExitFailure}
	}
	return nil
}

func writeFile(path string, m *report.Matrix, write func(*os.File, *report.Matrix) error) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f, m); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// runReport is `bpflab report merge FILES...`.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = "usage: bpflab report merge FILES... [--json F] [--junit F] [--markdown F] [--baseline PREV.json] [--report]\n"
	_, rest, err := command.Subcommand(args, "report", synopsis, stdout, "merge")
	if err != nil {
		return err
	}
	fs := command.NewFlags("report merge", synopsis, stdout)
	var o outputs
	o.flags(fs.FlagSet)
	manifest := fs.String("manifest", "", "order kernels as in this manifest (default kernels/manifest of the repository, if found)")
	// Flags may come before, between or after the files.
	files, err := fs.ParseInterleaved(rest)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return command.Usagef("report merge: name at least one results JSON file (from bpflab matrix --json)")
	}
	baseline, err := o.readBaseline()
	if err != nil {
		return err
	}
	var ms []*report.Matrix
	for _, f := range files {
		m, err := report.ReadFile(f)
		if err != nil {
			return command.AsUsage(err)
		}
		ms = append(ms, m)
	}
	order := manifestOrder(*manifest)
	if order == nil {
		order = naturalOrder(ms)
	}
	merged, err := report.Merge(files, ms, order)
	var dup *report.DuplicateKernelError
	if errors.As(err, &dup) {
		return command.AsUsage(err)
	} else if err != nil {
		return err
	}
	merged.DefaultBackend = defaultBackend
	return o.finish(merged, baseline, stdout, stderr)
}

// manifestOrder returns the manifest's kernel names, or nil when there is
// no manifest to read (merging on a machine without the repository).
func manifestOrder(path string) []string {
	if path == "" {
		goMod, err := findUp("go.mod")
		if err != nil {
			return nil
		}
		path = filepath.Join(filepath.Dir(goMod), "kernels", "manifest")
	}
	man, err := kernel.LoadManifest(path)
	if err != nil {
		return nil
	}
	return man.Names()
}

// naturalOrder sorts the inputs' kernel names with numbers compared as
// numbers (5.10 < 6.1 < 6.12 < 7.x < host), the manifest's usual order,
// for merging where no manifest is at hand.
func naturalOrder(ms []*report.Matrix) []string {
	var names []string
	for _, m := range ms {
		for _, k := range m.Kernels {
			names = append(names, k.Name)
		}
	}
	slices.SortStableFunc(names, naturalCompare)
	return names
}

func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		na, ra := leadingNumber(a)
		nb, rb := leadingNumber(b)
		switch {
		case na >= 0 && nb >= 0:
			if na != nb {
				return cmp.Compare(na, nb)
			}
			a, b = ra, rb
		case a[0] != b[0]:
			return cmp.Compare(a[0], b[0])
		default:
			a, b = a[1:], b[1:]
		}
	}
	return cmp.Compare(len(a), len(b))
}

// leadingNumber splits a leading decimal number off s (-1 if none).
func leadingNumber(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return -1, s
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return -1, s
	}
	return n, s[i:]
}
