package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/pseudofs"
)

// LinePrefix starts each result line in the output of `bpflab check
// --local`; other lines (kernel or runtime messages) are ignored.
const LinePrefix = "@@BPFLAB-CHECK "

// Local checks the objects on the running kernel and writes one line per
// map and program to w. It mounts tracefs if missing (tracepoints attach
// through it). Objects are named as given, so reports and repro lines
// show the user's paths.
func Local(w io.Writer, objects []string) error {
	if _, err := pseudofs.Ensure(pseudofs.Tracefs, "tracefs"); err != nil {
		fmt.Fprintf(w, "bpflab check: %v (tracepoint programs will fail to attach)\n", err)
	}
	for _, path := range objects {
		for _, r := range File(path) {
			r.Object = path
			line, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode result: %w", err)
			}
			if _, err := fmt.Fprintf(w, "%s%s\n", LinePrefix, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// Results reads the result lines from a binary's output.
func Results(output []byte) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), LinePrefix)
		if !ok {
			continue
		}
		var r Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return out, fmt.Errorf("result line %.60q: %w", line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Parse turns a `bpflab check --local` run into report tests: package =
// object, test = map/NAME or prog/NAME; a failure's reason starts with its
// code. A run that produced no results (crash, deadline) is one failed
// "(binary)" test with the output kept.
func Parse(binary string, output []byte, exitCode int) []report.Test {
	results, err := Results(output)
	var tests []report.Test
	for _, r := range results {
		t := report.Test{Package: r.Object, Name: r.Test(), Status: report.Pass, Reason: r.Note}
		if r.Status == Failed {
			t.Status = report.Fail
			t.Reason = fmt.Sprintf("%s: %s", r.Code, r.Message)
			if len(r.LogTail) > 0 {
				t.Output = strings.Join(r.LogTail, "\n")
			}
		}
		tests = append(tests, t)
	}
	if err != nil || exitCode != 0 || len(results) == 0 {
		reason := fmt.Sprintf("bpflab check --local exited %d with %d results", exitCode, len(results))
		if err != nil {
			reason += ": " + err.Error()
		}
		tests = append(tests, report.Test{Package: binary, Name: report.BinaryTest, Status: report.Fail,
			Reason: reason, Output: string(output)})
	}
	return tests
}
