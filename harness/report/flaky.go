package report

import (
	"fmt"
	"io"
	"strings"
)

// Flip is a test whose verdict changed between the repetitions of one
// kernel's run (--count N): flaky, or depending on state a run left.
type Flip struct {
	Kernel  string   `json:"kernel"`
	Package string   `json:"package"`
	Name    string   `json:"name"`
	Runs    []Status `json:"runs"`
	// Failures are the failing runs' reasons and output ("run N: ...").
	Failures string `json:"failures,omitempty"`
	// Quarantined is set when a quarantine entry covers the test.
	Quarantined string `json:"quarantined,omitempty"`
}

// flips reports whether runs hold more than one verdict.
func flips(runs []Status) bool {
	for _, r := range runs {
		if r != runs[0] {
			return true
		}
	}
	return false
}

// runsSummary is e.g. "[4 pass, 1 fail]".
func runsSummary(runs []Status) string {
	n := map[Status]int{}
	for _, r := range runs {
		n[r]++
	}
	var parts []string
	for _, s := range []Status{Pass, Fail, Skip, ""} {
		if n[s] > 0 {
			name := string(s)
			if s == "" {
				name = "absent"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n[s], name))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// MergeRuns folds the tests of N repetitions on one kernel (runs[i] is
// repetition i's tests) into one list: a test's Status is its worst
// verdict (fail over pass over skip; absent in some run counts as a
// failure, since a vanished test hid something), Runs lists each verdict,
// and a failing test keeps the first failing run's reason and output with
// every failing run's output appended.
func MergeRuns(runs [][]Test) []Test {
	if len(runs) == 1 {
		return runs[0]
	}
	type key struct{ pkg, name string }
	var order []key
	byKey := map[key][]*Test{}
	for i, run := range runs {
		for j := range run {
			t := &run[j]
			k := key{t.Package, t.Name}
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
				byKey[k] = make([]*Test, len(runs))
			}
			byKey[k][i] = t
		}
	}
	var out []Test
	for _, k := range order {
		per := byKey[k]
		var merged Test
		var outputs []string
		for i, t := range per {
			st := Status("")
			if t != nil {
				st = t.Status
			}
			merged.Runs = append(merged.Runs, st)
			switch {
			case t == nil:
				outputs = append(outputs, fmt.Sprintf("run %d: no result (the test did not run)", i+1))
			case t.Status == Fail:
				outputs = append(outputs, fmt.Sprintf("run %d: %s\n%s", i+1, t.Reason, t.Output))
			}
			if t != nil && (merged.Name == "" || rank(t.Status) > rank(merged.Status)) {
				runs := merged.Runs
				merged = *t
				merged.Runs = runs
			}
		}
		if st := merged.Runs; contains(st, "") && merged.Status != Fail {
			merged.Status = Fail
			merged.Reason = "missing from some runs " + runsSummary(st)
		}
		if merged.Status == Fail && flips(merged.Runs) {
			merged.Reason = fmt.Sprintf("flaky %s: %s", runsSummary(merged.Runs), merged.Reason)
		}
		if len(outputs) > 0 {
			merged.Output = strings.Join(outputs, "\n\n")
		}
		out = append(out, merged)
	}
	return out
}

func rank(s Status) int {
	switch s {
	case Fail:
		return 2
	case Pass:
		return 1
	}
	return 0
}

func contains(ss []Status, s Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Flips lists the tests whose verdict changed between repetitions, per
// kernel, in the matrix's order.
func (m *Matrix) Flips() []Flip {
	var out []Flip
	for _, k := range m.Kernels {
		for _, t := range k.Tests {
			if len(t.Runs) < 2 || !flips(t.Runs) {
				continue
			}
			out = append(out, Flip{Kernel: k.Name, Package: t.Package, Name: t.Name, Runs: t.Runs,
				Failures: t.Output, Quarantined: t.Quarantined})
		}
	}
	return out
}

// WriteFlips prints how many tests flipped in count runs per kernel, then
// each flip with its failing runs' output.
func WriteFlips(w io.Writer, m *Matrix, count int) error {
	p := &printer{w: w}
	fl := m.Flips()
	p.printf("\nFlaky tests (--count %d, verdict changed between runs): %d\n", count, len(fl))
	for _, k := range m.Kernels {
		n := 0
		for _, f := range fl {
			if f.Kernel == k.Name {
				n++
			}
		}
		p.printf("  %-8s %d test(s) x %d runs, %d flipped\n", k.Name, len(k.Tests), count, n)
	}
	for _, f := range fl {
		q := ""
		if f.Quarantined != "" {
			q = "  quarantined: " + f.Quarantined
		}
		p.printf("  %s %s %s %s%s\n", f.Kernel, f.Package, f.Name, runsSummary(f.Runs), q)
		if f.Failures != "" {
			p.printf("%s\n", indent(f.Failures, "      | "))
		}
	}
	return p.err
}
