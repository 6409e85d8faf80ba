package report

import (
	"fmt"
	"io"
	"sort"
)

// Kinds of Change.
const (
	NewlyFailing  = "newly failing"
	NewlyPassing  = "newly passing"
	NewlySkipping = "newly skipping" // passed before, skips now
	Vanished      = "vanished"       // had a result before, none now
	Changed       = "changed"
)

// runRow is the pseudo-test that stands for a kernel's run as a whole.
const runRow = "(kernel run)"

// Change is one result that differs from the baseline.
type Change struct {
	Kernel  string `json:"kernel"`
	Package string `json:"package,omitempty"`
	Name    string `json:"name"` // test name, or "(kernel run)"
	Kind    string `json:"kind"` // NewlyFailing, NewlyPassing or Changed
	Before  string `json:"before"`
	After   string `json:"after"`
	// Regression: a test that passed or skipped before fails now, a test
	// that passed before skips or is absent now (a skip or a vanished test
	// hides whatever it used to check), or a kernel whose run completed
	// before does not now.
	Regression bool `json:"regression"`
}

// Compare lists what changed from prev (a baseline) to cur, kernel by
// kernel (matched by name), in cur's kernel order and each kernel's test
// order. Kernels only in prev are not compared: a shard or a --kernels
// subset is not a regression. Absent results read "absent".
func Compare(prev, cur *Matrix) []Change {
	before := map[string]*Kernel{}
	for i := range prev.Kernels {
		before[prev.Kernels[i].Name] = &prev.Kernels[i]
	}
	var out []Change
	for i := range cur.Kernels {
		k := &cur.Kernels[i]
		p, ok := before[k.Name]
		if !ok {
			continue
		}
		if p.Error == "" && k.Error != "" {
			out = append(out, Change{Kernel: k.Name, Name: runRow, Kind: NewlyFailing,
				Before: "completed", After: "did not complete (" + k.ErrorPhase + ")", Regression: true})
		} else if p.Error != "" && k.Error == "" {
			out = append(out, Change{Kernel: k.Name, Name: runRow, Kind: NewlyPassing,
				Before: "did not complete (" + p.ErrorPhase + ")", After: "completed"})
		}
		out = append(out, compareTests(k.Name, p.Tests, k.Tests)...)
	}
	return out
}

func compareTests(kernel string, prev, cur []Test) []Change {
	type key struct{ pkg, name string }
	was := map[key]Status{}
	for _, t := range prev {
		was[key{t.Package, t.Name}] = t.Status
	}
	seen := map[key]bool{}
	var out []Change
	add := func(pkg, name string, b, a Status) {
		if b == a {
			return
		}
		c := Change{Kernel: kernel, Package: pkg, Name: name, Kind: Changed, Before: orAbsent(b), After: orAbsent(a)}
		switch {
		case a == Fail:
			c.Kind = NewlyFailing
			c.Regression = b == Pass || b == Skip
		case a == Pass && b == Fail:
			c.Kind = NewlyPassing
		case a == Skip && b == Pass:
			c.Kind, c.Regression = NewlySkipping, true
		case a == "" && b != "":
			c.Kind, c.Regression = Vanished, b == Pass
		}
		out = append(out, c)
	}
	for _, t := range cur {
		k := key{t.Package, t.Name}
		seen[k] = true
		add(t.Package, t.Name, was[k], t.Status)
	}
	var gone []key
	for k := range was {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Slice(gone, func(i, j int) bool {
		if gone[i].pkg != gone[j].pkg {
			return gone[i].pkg < gone[j].pkg
		}
		return gone[i].name < gone[j].name
	})
	for _, k := range gone {
		add(k.pkg, k.name, was[k], "")
	}
	return out
}

func orAbsent(s Status) string {
	if s == "" {
		return "absent"
	}
	return string(s)
}

// Regressions returns the changes that are regressions.
func Regressions(changes []Change) []Change {
	var out []Change
	for _, c := range changes {
		if c.Regression {
			out = append(out, c)
		}
	}
	return out
}

// WriteComparison prints the changes grouped by kind, then a one-line
// verdict naming the regressed kernels.
func WriteComparison(w io.Writer, baseline string, changes []Change) error {
	p := &printer{w: w}
	p.printf("\nCompared with baseline %s:\n", baseline)
	if len(changes) == 0 {
		p.printf("  no changes\n")
		return p.err
	}
	for _, kind := range []string{NewlyFailing, NewlySkipping, Vanished, NewlyPassing, Changed} {
		var n int
		for _, c := range changes {
			if c.Kind != kind {
				continue
			}
			if n == 0 {
				p.printf("%s:\n", kind)
			}
			n++
			what := c.Name
			if c.Package != "" {
				what = c.Package + " " + c.Name
			}
			mark := ""
			if c.Regression {
				mark = "  REGRESSION"
			}
			p.printf("  %-8s %s: %s -> %s%s\n", c.Kernel, what, c.Before, c.After, mark)
		}
	}
	if r := Regressions(changes); len(r) > 0 {
		p.printf("%d regression(s) on kernel(s) %v\n", len(r), changedKernels(r))
	}
	return p.err
}

func changedKernels(cs []Change) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.Kernel] {
			seen[c.Kernel] = true
			out = append(out, c.Kernel)
		}
	}
	return out
}

// printer keeps the first write error so callers check once.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}
