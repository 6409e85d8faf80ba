package mutate

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"text/tabwriter"
)

// Score is the detection rate of one program on one kernel.
type Score struct {
	Program    string  `json:"program"`
	Kernel     string  `json:"kernel"`
	Mutants    int     `json:"mutants"`
	Killed     int     `json:"killed"`   // by a failing test
	Verifier   int     `json:"verifier"` // refused by the kernel
	Timeout    int     `json:"timeout"`
	Survived   int     `json:"survived"`
	Build      int     `json:"build_failures"`
	Equivalent int     `json:"equivalent"`
	Errors     int     `json:"errors"`
	Percent    float64 `json:"score"` // detected / (detected + survived), in percent
}

func scores(rep *Report) []Score {
	var out []Score
	for _, p := range rep.Programs {
		for _, k := range rep.Kernels {
			s := Score{Program: p, Kernel: k}
			for _, r := range rep.Results {
				if r.Program != p {
					continue
				}
				s.Mutants++
				switch r.Outcome(k).Status {
				case Killed:
					s.Killed++
				case Verifier:
					s.Verifier++
				case Timeout:
					s.Timeout++
				case Survived:
					s.Survived++
				case BuildFail:
					s.Build++
				case Equivalent:
					s.Equivalent++
				default:
					s.Errors++
				}
			}
			if n := s.Killed + s.Verifier + s.Timeout + s.Survived; n > 0 {
				s.Percent = 100 * float64(s.Killed+s.Verifier+s.Timeout) / float64(n)
			}
			out = append(out, s)
		}
	}
	return out
}

// WriteTable prints the mutants table, the scores and every survivor as a
// unified diff with the command that reruns it alone.
func (rep *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "MUTANT\tWHERE\tOPERATOR\tCHANGE"
	for _, k := range rep.Kernels {
		head += "\t" + strings.ToUpper(k)
	}
	fmt.Fprintln(tw, head+"\tKILLED BY")
	for _, r := range rep.Results {
		line := fmt.Sprintf("%s\t%s:%d\t%s\t%s", r.ID, r.File, r.Line, r.Operator, clip(r.Change(), 70))
		var by string
		for _, k := range rep.Kernels {
			o := r.Outcome(k)
			line += "\t" + string(o.Status)
			if by == "" && len(o.KilledBy) > 0 {
				by = o.KilledBy[0]
				if len(o.KilledBy) > 1 {
					by += fmt.Sprintf(" (+%d)", len(o.KilledBy)-1)
				}
				if len(rep.Kernels) > 1 {
					by = k + ": " + by
				}
			}
		}
		fmt.Fprintln(tw, line+"\t"+clip(by, 60))
	}
	tw.Flush()
	fmt.Fprintln(w)
	rep.WriteScores(w)
	if len(rep.BaselineFailures) > 0 {
		fmt.Fprintln(w, "\nignored (failing without any mutant):")
		for _, f := range rep.BaselineFailures {
			fmt.Fprintln(w, "  "+f)
		}
	}
	var surv []Result
	for _, r := range rep.Results {
		for _, o := range r.Outcomes {
			if o.Status == Survived {
				surv = append(surv, r)
				break
			}
		}
	}
	if len(surv) > 0 {
		fmt.Fprintf(w, "\n%d survivors:\n", len(surv))
	}
	for _, r := range surv {
		var on []string
		for _, o := range r.Outcomes {
			if o.Status == Survived {
				on = append(on, o.Kernel)
			}
		}
		fmt.Fprintf(w, "\n%s (%s) survived on %s\n", r.ID, r.Operator, strings.Join(on, ", "))
		fmt.Fprint(w, r.Diff())
		fmt.Fprintf(w, "rerun: %s\n", rep.RerunCommand(r.ID))
	}
	// A kernel-specific verifier verdict is worth a line of its own.
	for _, r := range rep.Results {
		var rej, ok []string
		for _, o := range r.Outcomes {
			if o.Status == Verifier {
				rej = append(rej, o.Kernel)
			} else if o.Status.Counted() {
				ok = append(ok, o.Kernel)
			}
		}
		if len(rej) > 0 && len(ok) > 0 {
			fmt.Fprintf(w, "note: %s is refused by the verifier on %s only (loads on %s)\n", r.ID, strings.Join(rej, ", "), strings.Join(ok, ", "))
		}
	}
}

// WriteScores prints the score per program and kernel.
func (rep *Report) WriteScores(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tKERNEL\tMUTANTS\tKILLED\tVERIFIER\tTIMEOUT\tSURVIVED\tBUILD\tEQUIV\tERRORS\tSCORE")
	for _, s := range rep.Scores {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f%%\n", s.Program, s.Kernel, s.Mutants, s.Killed, s.Verifier, s.Timeout, s.Survived, s.Build, s.Equivalent, s.Errors, s.Percent)
	}
	tw.Flush()
	fmt.Fprintf(w, "score = (killed + verifier + timeout) / (those + survived); build failures, equivalent mutants and errors are not counted. %d mutants in %.0f s\n", len(rep.Results), rep.Seconds)
}

// RerunCommand is the one line that reruns just mutant id.
func (rep *Report) RerunCommand(id string) string {
	args := []string{rep.Command, "--only", id, "--kernels", strings.Join(rep.Kernels, ","), "--pkg", strings.Join(rep.Packages, ",")}
	if rep.Run != "" {
		args = append(args, "--run", shellQuote(rep.Run))
	}
	prog := id[:strings.LastIndex(id, "-")]
	for _, d := range rep.Dirs {
		progs, err := FindPrograms(rep.Module, d)
		if err != nil {
			continue
		}
		for _, p := range progs {
			if p.Ident() == prog {
				args = append(args, d)
			}
		}
	}
	return strings.Join(args, " ")
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, " $'\"\\|&;()<>*?[]") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// WriteJSON writes the report as JSON.
func (rep *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("baseline %s is not a bpflab mutate --json report: %w", path, err)
	}
	return &rep, nil
}

// WriteComparison prints the score change per program and kernel against
// a baseline report, and the mutants whose status changed (matched by
// file, operator and the changed line's text, which survive renumbering).
func (rep *Report) WriteComparison(w io.Writer, base *Report) {
	old := map[string]Score{}
	for _, s := range base.Scores {
		old[s.Program+"\x00"+s.Kernel] = s
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tKERNEL\tBASELINE\tNOW\tCHANGE")
	for _, s := range rep.Scores {
		o, ok := old[s.Program+"\x00"+s.Kernel]
		if !ok {
			fmt.Fprintf(tw, "%s\t%s\t-\t%.1f%%\tnew\n", s.Program, s.Kernel, s.Percent)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f%%\t%.1f%%\t%+.1f\n", s.Program, s.Kernel, o.Percent, s.Percent, s.Percent-o.Percent)
	}
	tw.Flush()
	prev := map[string]Result{}
	for _, r := range base.Results {
		prev[r.matchKey()] = r
	}
	var changed []string
	for _, r := range rep.Results {
		p, ok := prev[r.matchKey()]
		if !ok {
			continue
		}
		for _, o := range r.Outcomes {
			if po := p.Outcome(o.Kernel); po.Status != "" && po.Status != o.Status {
				changed = append(changed, fmt.Sprintf("  %s on %s: %s -> %s  (%s)", r.ID, o.Kernel, po.Status, o.Status, clip(r.Change(), 70)))
			}
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		fmt.Fprintln(w, "changed since the baseline:")
		for _, c := range changed {
			fmt.Fprintln(w, c)
		}
	}
}

func (r Result) matchKey() string {
	return r.File + "\x00" + r.Operator + "\x00" + strings.TrimSpace(r.Before) + "\x00" + r.Old + "\x00" + r.New
}

// defaultCC is the pinned compiler when installed, else clang.
func defaultCC() string {
	if p, err := exec.LookPath("clang-19"); err == nil {
		return p
	}
	return "clang"
}
