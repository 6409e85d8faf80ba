package mutate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/bpflab/bpflab/harness/report"
)

// testEvent is one line of `go test -json` (test2json).
type testEvent struct {
	Action  string  `json:"Action"`
	Package string  `json:"Package"`
	Test    string  `json:"Test"`
	Output  string  `json:"Output"`
	Elapsed float64 `json:"Elapsed"`
}

// hostRun runs the packages with `go test` in the scratch module at root
// on the host kernel, and returns one report.Test per test (plus one per
// package that failed outside any test: build errors, panics, timeouts).
func hostRun(ctx context.Context, root string, pkgs []string, run string, timeout time.Duration, env []string) ([]report.Test, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	args := []string{"test", "-json", "-count=1", "-timeout", timeout.String()}
	if run != "" {
		args = append(args, "-run", run)
	}
	args = append(args, pkgs...)
	cmd := goCommand(ctx, root, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	tests := parseTestJSON(stdout.Bytes())
	if ctx.Err() == context.DeadlineExceeded {
		return tests, errTimeout
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return tests, err
	}
	if err != nil && !anyFailed(tests) {
		// go test failed before any test could: e.g. a package does not build.
		tests = append(tests, report.Test{Package: "(go test)", Name: report.BuildTest, Status: report.Fail,
			Reason: firstLine(stderr.String()), Output: strings.TrimSpace(stderr.String())})
	}
	return tests, nil
}

var errTimeout = errors.New("deadline exceeded")

func anyFailed(tests []report.Test) bool {
	for _, t := range tests {
		if t.Status == report.Fail {
			return true
		}
	}
	return false
}

// parseTestJSON turns test2json events into tests, keeping the output of
// failures; a package that fails outside its tests becomes a test named
// "(package)" (or report.BuildTest when it did not build).
func parseTestJSON(data []byte) []report.Test {
	type key struct{ pkg, test string }
	out := map[key]*strings.Builder{}
	var order []key
	status := map[key]report.Status{}
	elapsed := map[key]float64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev testEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Package == "" {
			continue
		}
		k := key{ev.Package, ev.Test}
		if _, ok := out[k]; !ok {
			out[k] = &strings.Builder{}
			order = append(order, k)
		}
		switch ev.Action {
		case "output", "build-output":
			out[k].WriteString(ev.Output)
		case "pass":
			status[k] = report.Pass
		case "fail":
			status[k] = report.Fail
		case "skip":
			status[k] = report.Skip
		}
		if ev.Elapsed > 0 {
			elapsed[k] = ev.Elapsed
		}
	}
	var tests []report.Test
	pkgFailedInTest := map[string]bool{}
	for _, k := range order {
		if st, ok := status[k]; k.test != "" && (!ok || st == report.Fail) {
			pkgFailedInTest[k.pkg] = true
		}
	}
	for _, k := range order {
		st, ok := status[k]
		if !ok {
			if k.test == "" {
				continue
			}
			st = report.Fail // started, never finished: the binary died (panic, timeout)
		}
		name := k.test
		if name == "" {
			if st != report.Fail || pkgFailedInTest[k.pkg] {
				continue
			}
			name = "(package)"
			if strings.Contains(out[k].String(), "[build failed]") || strings.Contains(out[k].String(), "[setup failed]") {
				name = report.BuildTest
			}
		}
		t := report.Test{Package: k.pkg, Name: name, Status: st, Duration: report.Duration(elapsed[k] * float64(time.Second))}
		if st == report.Fail {
			t.Output = out[k].String()
			if k.test != "" && !strings.Contains(t.Output, "--- FAIL") {
				// Died without a verdict (panic, timeout): the package's output tells.
				t.Output += out[key{k.pkg, ""}].String()
			}
			t.Reason = failureReason(t.Output)
		}
		tests = append(tests, t)
	}
	return tests
}

// verifierRE matches a program the kernel refused to load (cilium/ebpf's
// VerifierError and the BPF_PROG_LOAD errnos the verifier answers with).
var verifierRE = regexp.MustCompile(`load program: (permission denied|invalid argument|argument list too long|bad address)`)

// failureReason is the most telling line of a failure's output.
func failureReason(out string) string {
	if m := verifierRE.FindString(out); m != "" {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, m) {
				return strings.TrimSpace(l)
			}
		}
	}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Error:") || strings.Contains(l, "panic:") || strings.Contains(l, "timed out") {
			return l
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "===") && !strings.HasPrefix(l, "---") {
			return l
		}
	}
	return ""
}
