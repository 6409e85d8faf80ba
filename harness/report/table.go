package report

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// HostKernel is the matrix name of the kernel bpflab itself runs on.
const HostKernel = "host"

// rowKey identifies one table row: a test of a package.
type rowKey struct{ pkg, name string }

// rows returns every (package, test) seen on any kernel, packages sorted,
// tests in the order they first ran.
func rows(m *Matrix) []rowKey {
	seen := map[rowKey]bool{}
	var keys []rowKey
	for _, k := range m.Kernels {
		for _, t := range k.Tests {
			r := rowKey{t.Package, t.Name}
			if !seen[r] {
				seen[r] = true
				keys = append(keys, r)
			}
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].pkg < keys[j].pkg })
	return keys
}

// cell is what a kernel's column shows for one row.
func cell(k *Kernel, r rowKey) string {
	for _, t := range k.Tests {
		if t.Package == r.pkg && t.Name == r.name {
			var c string
			switch t.Status {
			case Pass:
				c = "pass"
				if t.Cached {
					c = "pass (cached)"
				}
			case Fail:
				c = "FAIL"
				if t.Quarantined != "" {
					c = "fail(q)" // shown, not failing the matrix
				}
			default:
				c = "skip"
				if t.Cached {
					c = "skip (cached)"
				}
			}
			if flips(t.Runs) {
				c += fmt.Sprintf(" %s", runsSummary(t.Runs))
			}
			return c
		}
	}
	if k.Error != "" {
		return "ERR"
	}
	return "-"
}

// WriteTable prints the kernel x test table, then the kernels' runs, the skip
// reasons, every failure with a one-line repro command, and the kernels that
// did not complete with their console tail.
func WriteTable(out io.Writer, m *Matrix) error {
	// Render into a buffer so trailing padding can be trimmed per line.
	var buf bytes.Buffer
	w := &buf
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"TEST"}
	for _, k := range m.Kernels {
		header = append(header, k.Name)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	lastPkg := ""
	for _, r := range rows(m) {
		if r.pkg != lastPkg {
			fmt.Fprintln(tw, r.pkg+strings.Repeat("\t", len(m.Kernels))+"\t")
			lastPkg = r.pkg
		}
		line := []string{"  " + r.name}
		for i := range m.Kernels {
			line = append(line, cell(&m.Kernels[i], r))
		}
		fmt.Fprintln(tw, strings.Join(line, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}

	fmt.Fprintln(w, "\nKernels:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range m.Kernels {
		p, f, s := k.Counts()
		status := fmt.Sprintf("%d pass, %d fail, %d skip", p, f, s)
		if c := k.CachedCount(); c > 0 {
			status += fmt.Sprintf(" (%d cached)", c)
		}
		if k.Error != "" {
			status += fmt.Sprintf(", did not complete (%s)", k.ErrorPhase)
		}
		if n := len(k.UnallowedSplats()); n > 0 {
			status += fmt.Sprintf(", %d kernel splat(s)", n)
		}
		if k.Arch != "" {
			status += fmt.Sprintf("  [%s, BTF from %s, %s]", k.Arch, orDash(k.BTF), orDash(k.JIT))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s/%s\t%s\t%s\t%s\n", k.Name, orDash(k.Release), orDash(k.Version), k.Backend, orDash(k.Accel),
			fmtDur(time.Duration(k.Duration)), phases(k.Phases), status)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}

	var skips, fails []string
	for _, k := range m.Kernels {
		for _, t := range k.Tests {
			switch t.Status {
			case Skip:
				skips = append(skips, fmt.Sprintf("  %s %s %s: %s", k.Name, t.Package, t.Name, t.Reason))
			case Fail:
				q := ""
				if t.Quarantined != "" {
					q = "\n    quarantined, not failing the matrix: " + t.Quarantined
				}
				fails = append(fails, fmt.Sprintf("  %s %s %s: %s%s\n    repro: %s", k.Name, t.Package, t.Name,
					t.Reason, q, Repro(m, k.Name, t.Package, t.Name)))
			}
		}
	}
	section(w, "Skipped:", skips)
	section(w, "Failures:", fails)

	var errs []string
	for _, k := range m.Kernels {
		if k.Error == "" {
			continue
		}
		e := fmt.Sprintf("  %s (phase %s): %s", k.Name, k.ErrorPhase, firstLine(k.Error))
		if k.Console != "" {
			e += "\n    console: " + k.Console
		}
		if k.ConsoleTail != "" {
			e += "\n    console tail:\n" + indent(k.ConsoleTail, "      | ")
		}
		e += "\n    repro: " + Repro(m, k.Name, "", "")
		errs = append(errs, e)
	}
	section(w, "Kernels that did not complete:", errs)

	var splats []string
	for _, k := range m.Kernels {
		for _, sp := range k.Splats {
			if sp.Allowed != "" {
				splats = append(splats, fmt.Sprintf("  %s %s: allowed (%s): %s", k.Name, sp.Kind, sp.Allowed, sp.Line))
				continue
			}
			splats = append(splats, fmt.Sprintf("  %s %s: FAILS the kernel\n%s", k.Name, sp.Kind, indent(sp.Text, "      | ")))
		}
	}
	section(w, "Kernel splats:", splats)

	verdict := "PASS"
	if m.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n%s: %d kernels in %s\n", verdict, len(m.Kernels), fmtDur(time.Duration(m.Duration)))
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	if _, err := io.WriteString(out, strings.Join(lines, "\n")); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// Repro is a one-line command that reruns one test (or one package, or a
// whole kernel when pkg is empty) on one kernel.
func Repro(m *Matrix, kernel, pkg, test string) string {
	var b strings.Builder
	if m.Tool == "check" {
		fmt.Fprintf(&b, "bpflab check --kernels %s %s", kernel, pkg)
		return b.String()
	}
	fmt.Fprintf(&b, "bpflab matrix --kernels %s", kernel)
	if kernel != HostKernel && m.Backend != "" && m.Backend != m.DefaultBackend {
		fmt.Fprintf(&b, " --backend %s", m.Backend)
	}
	if pkg != "" {
		fmt.Fprintf(&b, " --pkg %s", pkg)
	}
	if test != "" && test != BinaryTest && test != BuildTest {
		fmt.Fprintf(&b, " --run '%s'", RunRegex(test))
	}
	return b.String()
}

// RunRegex is the -test.run pattern that selects exactly one (sub)test.
func RunRegex(test string) string {
	parts := strings.Split(test, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func section(w io.Writer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\n"+title)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func phases(ps []Phase) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Name+" "+fmtDur(time.Duration(p.Duration)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
