package benchsuite

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/bpflab/bpflab/harness/report"
)

// EnvArtifacts is where the benchmarks write their figures (the matrix
// sets it, as for the scenarios' load reports).
const EnvArtifacts = "BPFLAB_ARTIFACTS"

// Figure is one measured ratio: subject over baseline, over Rounds rounds
// (each round measures both, interleaved).
type Figure struct {
	Name     string  `json:"name"`     // e.g. "firewall v4 1M hit"
	Subject  string  `json:"subject"`  // what was measured
	Baseline string  `json:"baseline"` // what it is divided by
	Unit     string  `json:"unit"`     // of the absolute medians
	Min      float64 `json:"min"`      // ratio
	Median   float64 `json:"median"`
	Max      float64 `json:"max"`
	// SubjectMedian and BaselineMedian are the absolute medians in Unit.
	SubjectMedian  float64 `json:"subject_median"`
	BaselineMedian float64 `json:"baseline_median"`
	Rounds         int     `json:"rounds"`
	Note           string  `json:"note,omitempty"` // e.g. loss counted, method
}

// NewFigure computes a figure from paired samples (subject[i] and
// baseline[i] from the same round).
func NewFigure(name, subject, baseline, unit string, subj, base []float64) (Figure, error) {
	if len(subj) == 0 || len(subj) != len(base) {
		return Figure{}, fmt.Errorf("figure %s: %d subject and %d baseline samples, want the same non-zero number", name, len(subj), len(base))
	}
	var ratios []float64
	for i := range subj {
		if base[i] <= 0 {
			return Figure{}, fmt.Errorf("figure %s: baseline sample %d is %v", name, i, base[i])
		}
		ratios = append(ratios, subj[i]/base[i])
	}
	slices.Sort(ratios)
	return Figure{Name: name, Subject: subject, Baseline: baseline, Unit: unit,
		Min: ratios[0], Median: median(ratios), Max: ratios[len(ratios)-1],
		SubjectMedian: median(subj), BaselineMedian: median(base), Rounds: len(subj)}, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// Sheet is one kernel's figures.
type Sheet struct {
	Kernel   string   `json:"kernel"`          // matrix name (filled in by the collector)
	Release  string   `json:"release"`         // uname -r inside the kernel
	Accel    string   `json:"accel,omitempty"` // kvm, tcg or host (filled in by the collector)
	Emulated bool     `json:"emulated"`        // TCG: figures are emulated, compare ratios only
	Figures  []Figure `json:"figures"`
	Errors   []string `json:"errors,omitempty"` // benchmarks that failed
}

// ArtifactName is the file a sheet is written to.
func ArtifactName(release string) string {
	return "bench-" + strings.NewReplacer("/", "_", " ", "_").Replace(release) + ".json"
}

// Add appends figs to the sheet file in $BPFLAB_ARTIFACTS (read, append,
// write: the benchmarks of one binary run one after another), or does
// nothing when the variable is unset.
func Add(release string, figs ...Figure) error {
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s=%s: %w", EnvArtifacts, dir, err)
	}
	path := filepath.Join(dir, ArtifactName(release))
	s := Sheet{Release: release}
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
	s.Figures = append(s.Figures, figs...)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	return os.Rename(tmp, path)
}

// Collect reads the sheets the matrix's kernels brought back as artifacts,
// one per kernel that ran the benchmarks, labelled with the kernel's name
// and accelerator; failed benchmarks are listed in Errors.
func Collect(m *report.Matrix) ([]Sheet, error) {
	var sheets []Sheet
	for _, k := range m.Kernels {
		s := Sheet{Kernel: k.Name, Release: k.Release, Accel: k.Accel, Figures: []Figure{}}
		for _, p := range k.Artifacts {
			if !strings.HasPrefix(filepath.Base(p), "bench-") || !strings.HasSuffix(p, ".json") {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("bench sheet of %s: %w", k.Name, err)
			}
			var got Sheet
			if err := json.Unmarshal(data, &got); err != nil {
				return nil, fmt.Errorf("bench sheet %s: %w", p, err)
			}
			s.Figures = append(s.Figures, got.Figures...)
		}
		s.Emulated = k.Accel == "tcg"
		for _, t := range k.Tests {
			if t.Status == report.Fail {
				s.Errors = append(s.Errors, fmt.Sprintf("%s: %s", t.Name, t.Reason))
			}
		}
		if k.Error != "" {
			s.Errors = append(s.Errors, fmt.Sprintf("kernel did not complete (%s): %s", k.ErrorPhase, k.Error))
		}
		sheets = append(sheets, s)
	}
	return sheets, nil
}

// WriteTable prints one row per figure and one column per kernel: the
// median ratio with its min-max spread, TCG columns marked emulated; then
// the absolute medians and the notes.
func WriteTable(w io.Writer, sheets []Sheet) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"FIGURE (ratio: median [min-max])"}
	for _, s := range sheets {
		col := s.Kernel
		if s.Emulated {
			col += " (TCG, emulated)"
		}
		head = append(head, col)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	var names []string
	for _, s := range sheets {
		for _, f := range s.Figures {
			if !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
	}
	find := func(s Sheet, name string) *Figure {
		for i := range s.Figures {
			if s.Figures[i].Name == name {
				return &s.Figures[i]
			}
		}
		return nil
	}
	for _, n := range names {
		row := []string{n}
		for _, s := range sheets {
			if f := find(s, n); f != nil {
				row = append(row, fmt.Sprintf("%.2fx [%.2f-%.2f]", f.Median, f.Min, f.Max))
			} else {
				row = append(row, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write bench table: %w", err)
	}
	fmt.Fprintln(w, "\nFigures (absolute medians, subject / baseline):")
	for _, n := range names {
		for _, s := range sheets {
			if f := find(s, n); f != nil {
				note := ""
				if f.Note != "" {
					note = "; " + f.Note
				}
				fmt.Fprintf(w, "  %s %s: %s %.4g %s / %s %.4g %s over %d rounds%s\n", s.Kernel, n,
					f.Subject, f.SubjectMedian, f.Unit, f.Baseline, f.BaselineMedian, f.Unit, f.Rounds, note)
			}
		}
	}
	for _, s := range sheets {
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %s FAILED %s\n", s.Kernel, e)
		}
	}
	return nil
}

// Report collects the sheets of a benchmark matrix run, prints the table to
// w and, when jsonPath is set, writes the sheets there as JSON.
func Report(w io.Writer, m *report.Matrix, jsonPath string) error {
	sheets, err := Collect(m)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nBenchmarks (each figure a ratio to a baseline measured in the same run):")
	if err := WriteTable(w, sheets); err != nil {
		return err
	}
	if jsonPath == "" {
		return nil
	}
	data, err := json.MarshalIndent(sheets, "", "  ")
	if err != nil {
		return fmt.Errorf("encode bench sheets: %w", err)
	}
	if err := os.WriteFile(jsonPath, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write bench JSON: %w", err)
	}
	return nil
}
