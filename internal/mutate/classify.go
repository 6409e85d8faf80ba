package mutate

import (
	"errors"
	"strings"

	"github.com/bpflab/bpflab/harness/report"
)

// classify turns a mutant's test run into its outcome on one kernel.
func classify(tests []report.Test, err error, ignore map[string]bool) Outcome {
	var out Outcome
	verifier := false
	for _, t := range tests {
		id := t.Package + "." + t.Name
		if t.Status != report.Fail || ignore[id] {
			continue
		}
		if t.Name == report.BuildTest {
			return Outcome{Status: BuildFail, Detail: t.Reason}
		}
		out.KilledBy = append(out.KilledBy, shortPkg(t.Package)+"."+t.Name)
		if verifierRE.MatchString(t.Output) {
			verifier = true
		}
		if out.Detail == "" {
			out.Detail = t.Reason
		}
	}
	out.KilledBy = leaves(out.KilledBy)
	switch {
	case errors.Is(err, errTimeout):
		out.Status = Timeout
	case err != nil && len(out.KilledBy) == 0:
		out.Status, out.Detail = Errored, err.Error()
	case verifier:
		out.Status = Verifier
	case len(out.KilledBy) > 0:
		out.Status = Killed
	default:
		out.Status = Survived
	}
	return out
}

func firstFailure(tests []report.Test) string {
	for _, t := range tests {
		if t.Status == report.Fail {
			return ", first: " + t.Package + "." + t.Name + ": " + t.Reason
		}
	}
	return ""
}

// leaves drops failed tests whose subtests failed too: the subtest names
// the case that caught the mutant.
func leaves(names []string) []string {
	var out []string
	for _, n := range names {
		parent := false
		for _, m := range names {
			if strings.HasPrefix(m, n+"/") {
				parent = true
				break
			}
		}
		if !parent {
			out = append(out, n)
		}
	}
	return out
}

// shortPkg drops the module path of a package for tables.
func shortPkg(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		return strings.Join(parts[len(parts)-2:], "/")
	}
	return p
}
