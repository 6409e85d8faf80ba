package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bpflab/bpflab/harness/loadreport"
	"github.com/bpflab/bpflab/harness/probe"
)

// WriteLoadReports prints what the kernels' load reports and probes say,
// side by side: one summary line per kernel, the differences of each
// kernel's load report from the first kernel that has one (CO-RE
// relocations, load results, verifier statistics), the verifier statistics
// of every program per kernel, and every feature probe per kernel.
func WriteLoadReports(out io.Writer, m *Matrix) error {
	var ks []*Kernel
	for i := range m.Kernels {
		if m.Kernels[i].LoadReport != nil {
			ks = append(ks, &m.Kernels[i])
		}
	}
	p := &printer{w: out}
	p.printf("\nLoad reports:\n")
	if len(ks) == 0 {
		p.printf("  none collected (scenarios/btf writes them; was it run?)\n")
	}
	for _, k := range ks {
		p.printf("  %s: %s\n", k.Name, k.LoadReport.Summary())
	}
	if len(ks) > 1 {
		base := ks[0]
		p.printf("\nLoad report differences from kernel %s:\n", base.Name)
		for _, k := range ks[1:] {
			d := loadreport.Diff(*base.LoadReport, *k.LoadReport)
			p.printf("  %s vs %s: %d differences\n", base.Name, k.Name, len(d))
			for _, x := range d {
				p.printf("    [%s] %s\n", x.Category, x)
			}
		}
	}
	if len(ks) > 0 {
		p.printf("\nVerifier statistics (instructions processed / total states):\n")
		if p.err == nil {
			p.err = statsTable(out, ks)
		}
	}
	if p.err == nil {
		p.err = probesTable(out, m)
	}
	return p.err
}

func statsTable(out io.Writer, ks []*Kernel) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "  PROGRAM"
	for _, k := range ks {
		header += "\t" + k.Name
	}
	fmt.Fprintln(tw, header)
	type progKey struct{ obj, prog string }
	var order []progKey
	seen := map[progKey]bool{}
	for _, k := range ks {
		for _, o := range k.LoadReport.Objects {
			for _, pr := range o.Programs {
				pk := progKey{o.Name, pr.Name}
				if !seen[pk] {
					seen[pk] = true
					order = append(order, pk)
				}
			}
		}
	}
	for _, pk := range order {
		line := "  " + pk.obj + "/" + pk.prog
		for _, k := range ks {
			line += "\t" + statsCell(k.LoadReport, pk.obj, pk.prog)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func statsCell(r *loadreport.Report, obj, prog string) string {
	pr, ok := r.Program(obj, prog)
	switch {
	case !ok:
		return "-"
	case !pr.Loaded:
		return "NOT LOADED"
	case pr.Stats == nil:
		return "loaded"
	}
	return strconv.Itoa(pr.Stats.InsnsProcessed) + " / " + strconv.Itoa(pr.Stats.TotalStates)
}

func probesTable(out io.Writer, m *Matrix) error {
	var ks []*Kernel
	parsed := map[string]probe.Artifact{}
	for i := range m.Kernels {
		k := &m.Kernels[i]
		if len(k.Probes) == 0 {
			continue
		}
		pf, err := probe.ReadArtifact(k.Probes)
		if err != nil {
			return fmt.Errorf("probes of kernel %s: %w", k.Name, err)
		}
		parsed[k.Name] = pf
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return nil
	}
	fmt.Fprintln(out, "\nFeature probes (* = disagrees with the documented minimum):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "  PROBE\tMIN"
	for _, k := range ks {
		header += "\t" + k.Name
	}
	fmt.Fprintln(tw, header)
	var names []string
	mins := map[string]string{}
	for _, k := range ks {
		for _, r := range parsed[k.Name].Results {
			if _, ok := mins[r.Name]; !ok {
				names = append(names, r.Name)
			}
			mins[r.Name] = r.Min
		}
	}
	for _, n := range names {
		cells := []string{"  " + n, orDash(mins[n])}
		for _, k := range ks {
			c := "-"
			pf := parsed[k.Name]
			for _, r := range pf.Results {
				if r.Name == n {
					c = string(r.Status)
				}
			}
			for _, d := range pf.Disagreements {
				if d.Name == n {
					c += "*"
				}
			}
			cells = append(cells, c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
