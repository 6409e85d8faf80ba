package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes a summary for a CI job page: a verdict line, the
// kernel x test table, and each failure and incomplete kernel with its
// one-line repro command.
func WriteMarkdown(w io.Writer, m *Matrix) error {
	p := &printer{w: w}
	verdict := "PASS"
	if m.Failed() {
		verdict = "FAIL (kernels: " + strings.Join(m.FailedKernels(), ", ") + ")"
	}
	p.printf("## bpflab matrix: %s\n\n", verdict)
	p.printf("%d kernels in %s\n\n", len(m.Kernels), fmtDur(time.Duration(m.Duration)))
	if len(m.Kernels) == 0 {
		return p.err
	}
	p.printf("| kernel | release | backend | pass | fail | skip | status |\n|---|---|---|---|---|---|---|\n")
	for _, k := range m.Kernels {
		ps, f, s := k.Counts()
		status := "ok"
		switch {
		case k.Error != "":
			status = "did not complete (" + k.ErrorPhase + ")"
		case f > 0:
			status = "FAIL"
		case len(k.UnallowedSplats()) > 0:
			status = "FAIL (kernel splat: " + k.UnallowedSplats()[0].Kind + ")"
		}
		p.printf("| %s | %s | %s/%s | %d | %d | %d | %s |\n", mdCell(k.Name), mdCell(orDash(k.Release)),
			mdCell(k.Backend), mdCell(orDash(k.Accel)), ps, f, s, status)
	}
	p.printf("\n| test |")
	for _, k := range m.Kernels {
		p.printf(" %s |", mdCell(k.Name))
	}
	p.printf("\n|---|%s\n", strings.Repeat("---|", len(m.Kernels)))
	for _, r := range rows(m) {
		p.printf("| %s %s |", mdCell(r.pkg), mdCell(r.name))
		for i := range m.Kernels {
			c := cell(&m.Kernels[i], r)
			if c == "FAIL" || c == "ERR" {
				c = "**" + c + "**"
			}
			p.printf(" %s |", c)
		}
		p.printf("\n")
	}
	var fails []string
	for _, k := range m.Kernels {
		if k.Error != "" {
			fails = append(fails, fmt.Sprintf("- **%s** did not complete (phase %s): %s\n  ```\n  %s\n  ```",
				k.Name, k.ErrorPhase, mdCell(firstLine(k.Error)), Repro(m, k.Name, "", "")))
		}
		for _, t := range k.Tests {
			if t.Status == Fail {
				fails = append(fails, fmt.Sprintf("- **%s** %s %s: %s\n  ```\n  %s\n  ```",
					k.Name, t.Package, mdCell(t.Name), mdCell(firstLine(t.Reason)), Repro(m, k.Name, t.Package, t.Name)))
			}
		}
	}
	if len(fails) > 0 {
		p.printf("\n### Failures\n\n%s\n", strings.Join(fails, "\n"))
	}
	return p.err
}

// mdCell keeps a value from breaking a Markdown table row.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
