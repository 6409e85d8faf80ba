package report

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// BinaryTest names the synthetic test that stands for a whole test binary
// when its failure cannot be pinned on one test (crash before any test,
// failing TestMain, non-zero exit with all tests passed).
const BinaryTest = "(binary)"

// BuildTest names the synthetic test of a package that did not compile.
const BuildTest = "(build)"

var (
	resultLine = regexp.MustCompile(`^(\s*)--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)$`)
	eventLine  = regexp.MustCompile(`^=== (RUN|PAUSE|CONT|NAME)\s+(\S+)$`)
	logPrefix  = regexp.MustCompile(`^\S+\.go:\d+: `)
	// frameLine is what a framed line may hold besides the final PASS/FAIL.
	frameLine = regexp.MustCompile(`^(=== (RUN|PAUSE|CONT|NAME|PASS|FAIL|SKIP|ATTR|ARTIFACTS)\s|--- (PASS|FAIL|SKIP|BENCH): |testing: warning: )`)
)

// maxLine is the longest output line read; a longer one stops the parse
// and fails OutputTest.
const maxLine = 4 * 1024 * 1024

// testAcc collects one test's lines while parsing.
type testAcc struct {
	name     string
	status   Status
	done     bool
	duration time.Duration
	lines    []string
}

// ParseGoTest turns the output of a Go test binary run with -test.v (or
// without) into tests of package pkg. exitCode is the binary's exit status
// (-1 if it never exited: killed, timed out, kernel died). A test that started
// but has no "--- " result line failed: the binary crashed or hung in it, and
// its output carries what the binary printed.
func ParseGoTest(pkg string, output []byte, exitCode int) []Test {
	return parse(pkg, output, exitCode, false)
}

// OutputTest names the synthetic test that fails when a binary's output
// cannot be decoded (an unreadable line, a garbled frame, a stream cut
// before the binary's final frame): tests may have been lost.
const OutputTest = "(output)"

// framing is the byte a Go test binary run with -test.v=test2json puts
// before each line that frames a test ("=== RUN", "--- PASS", the final
// PASS/FAIL), so that a test's own output can never pass for a frame.
const framing = 0x16

// rawTail bounds the raw output shown when decoding fails.
const rawTail = 4096

// ParseTest2JSON parses the output of a test binary run with
// -test.v=test2json (what `go tool test2json` decodes): only framed lines
// start, end or name tests; everything else is output. A framed line that
// is not a known frame, an unreadable line, or a stream that ends without
// the binary's final PASS/FAIL frame (cut, truncated, killed) fails the
// OutputTest with the raw tail of the output, so no test is silently lost.
func ParseTest2JSON(pkg string, output []byte, exitCode int) []Test {
	return parse(pkg, output, exitCode, true)
}

func parse(pkg string, output []byte, exitCode int, framed bool) []Test {
	byName := map[string]*testAcc{}
	var order []*testAcc
	get := func(name string) *testAcc {
		if a, ok := byName[name]; ok {
			return a
		}
		a := &testAcc{name: name}
		byName[name] = a
		order = append(order, a)
		return a
	}

	var current *testAcc // the test whose log lines are streaming (-test.v)
	var tail *testAcc    // the test whose indented lines follow its "---" line
	tailIndent := 0
	var stray []string // lines outside any test (panics, TestMain output)

	var decodeErrs []string // what made the output undecodable
	sawFinal := false       // the binary's final framed PASS or FAIL

	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if framed {
			frame, ok := strings.CutPrefix(line, string(rune(framing)))
			if !ok {
				// Output, never a frame, whatever it looks like.
				if current != nil && !current.done && strings.HasPrefix(line, "    ") {
					current.lines = append(current.lines, strings.TrimPrefix(line, "    "))
				} else if strings.TrimSpace(line) != "" {
					stray = append(stray, line)
				}
				continue
			}
			switch {
			case frame == "PASS" || frame == "FAIL":
				sawFinal = true
				current = nil
				continue
			case strings.TrimSpace(frame) == "=== NAME":
				current = nil // output between tests
				continue
			case frameLine.MatchString(frame):
				if m := eventLine.FindStringSubmatch(frame); m != nil {
					current = get(m[2])
				} else if m := resultLine.FindStringSubmatch(frame); m != nil {
					a := get(m[3])
					a.done = true
					a.status = map[string]Status{"PASS": Pass, "FAIL": Fail, "SKIP": Skip}[m[2]]
					secs, _ := strconv.ParseFloat(m[4], 64)
					a.duration = time.Duration(secs * float64(time.Second))
				}
				// Other frames (=== ATTR, "testing: warning: no tests
				// to run") carry nothing the report keeps.
				continue
			}
			decodeErrs = append(decodeErrs, fmt.Sprintf("garbled frame %q", oneLine(frame)))
			continue
		}
		if m := eventLine.FindStringSubmatch(line); m != nil {
			current, tail = get(m[2]), nil
			continue
		}
		if m := resultLine.FindStringSubmatch(line); m != nil {
			a := get(m[3])
			a.done = true
			a.status = map[string]Status{"PASS": Pass, "FAIL": Fail, "SKIP": Skip}[m[2]]
			secs, _ := strconv.ParseFloat(m[4], 64)
			a.duration = time.Duration(secs * float64(time.Second))
			tail, tailIndent = a, len(m[1])+4
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		switch {
		case tail != nil && indent >= tailIndent && strings.TrimSpace(line) != "":
			tail.lines = append(tail.lines, line[tailIndent:])
			continue
		case line == "PASS" || line == "FAIL" || strings.HasPrefix(line, "ok  \t") || strings.HasPrefix(line, "exit status "):
			tail = nil
			continue
		}
		tail = nil
		if current != nil && !current.done && strings.HasPrefix(line, "    ") {
			current.lines = append(current.lines, strings.TrimPrefix(line, "    "))
			continue
		}
		stray = append(stray, line)
	}

	if err := sc.Err(); err != nil {
		decodeErrs = append(decodeErrs, fmt.Sprintf("reading the output stopped (lines are read up to %d bytes): %v", maxLine, err))
	}
	if framed && !sawFinal && exitCode == 0 {
		decodeErrs = append(decodeErrs, "the output ends without the binary's final PASS/FAIL frame although it exited 0: output was cut or lost")
	}

	blamePanic(order, byName, stray)

	var tests []Test
	anyFailed, anyUnfinished := false, false
	for _, a := range order {
		t := Test{Package: pkg, Name: a.name, Status: a.status, Duration: Duration(a.duration)}
		switch {
		case !a.done:
			anyUnfinished = true
			t.Status = Fail
			t.Reason = fmt.Sprintf("no result: the test binary %s while this test ran", exitWords(exitCode))
			t.Output = strings.Join(append(append([]string{}, a.lines...), stray...), "\n")
		case a.status == Fail && !hasTestifyError(a.lines) && failedChild(byName, a.name) != "":
			// Its own log lines are context, not the failure.
			t.Reason = "subtest " + failedChild(byName, a.name) + " failed"
			t.Output = strings.Join(a.lines, "\n")
		case a.status == Fail:
			t.Reason = failureReason(a.lines)
			t.Output = strings.Join(a.lines, "\n")
		case a.status == Skip:
			t.Reason = skipReason(a.lines)
		}
		if t.Status == Fail {
			anyFailed = true
		}
		tests = append(tests, t)
	}
	if len(decodeErrs) > 0 {
		tail := output
		if len(tail) > rawTail {
			tail = tail[len(tail)-rawTail:]
		}
		tests = append(tests, Test{
			Package: pkg, Name: OutputTest, Status: Fail,
			Reason: "undecodable test output, tests may be missing: " + oneLine(strings.Join(decodeErrs, "; ")),
			Output: fmt.Sprintf("%s\nraw tail of the output (%d of %d bytes):\n%s", strings.Join(decodeErrs, "\n"), len(tail), len(output), tail),
		})
		anyFailed = true
	}
	// A non-zero exit nothing above explains (crash before the first test,
	// TestMain failure, leaked resources check) is a failure of the binary.
	if exitCode != 0 && !anyFailed && !anyUnfinished {
		tests = append(tests, Test{
			Package: pkg, Name: BinaryTest, Status: Fail,
			Reason: fmt.Sprintf("the test binary %s", exitWords(exitCode)),
			Output: strings.TrimSpace(string(output)),
		})
	}
	return tests
}

// failedChild names the first (in sort order) failed subtest of parent
// directly below it, or "".
func failedChild(byName map[string]*testAcc, parent string) string {
	first := ""
	for name, a := range byName {
		rest, ok := strings.CutPrefix(name, parent+"/")
		if ok && !strings.Contains(rest, "/") && (a.status == Fail || !a.done) && (first == "" || rest < first) {
			first = rest
		}
	}
	return first
}

func hasTestifyError(lines []string) bool {
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Error:") {
			return true
		}
	}
	return false
}

// blamePanic gives a test panic to the test it came from: the testing
// package prints "--- FAIL" for the panicking test (and its parents), then
// the panic and stack at the left margin, outside any test. The last failed
// test without failed subtests is the one that panicked.
func blamePanic(order []*testAcc, byName map[string]*testAcc, stray []string) {
	at := -1
	for i, l := range stray {
		if strings.HasPrefix(l, "panic: ") && !strings.HasPrefix(l, "panic: test timed out") {
			at = i
			break
		}
	}
	if at < 0 {
		return
	}
	var culprit *testAcc
	for _, a := range order {
		if a.done && a.status == Fail && failedChild(byName, a.name) == "" {
			culprit = a // the last failed leaf: children come after parents
		}
	}
	if culprit != nil {
		culprit.lines = append(culprit.lines, stray[at:]...)
	}
}

func exitWords(code int) string {
	if code < 0 {
		return "did not exit (killed or timed out)"
	}
	return fmt.Sprintf("exited with status %d", code)
}

// skipReason is the last line the test logged: t.Skip's message.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" && !strings.HasPrefix(lines[i], "    ") {
			return oneLine(logPrefix.ReplaceAllString(s, ""))
		}
	}
	return "skipped without a reason"
}

// failureReason picks the line that says what went wrong: testify's
// "Error:" field (with its continuation lines) if present, else the last
// top-level log line. It is cut to one line of at most maxReason bytes.
func failureReason(lines []string) string {
	for i, l := range lines {
		s := strings.TrimSpace(l)
		if !strings.HasPrefix(s, "Error:") {
			continue
		}
		parts := []string{strings.TrimSpace(strings.TrimPrefix(s, "Error:"))}
		// Continuation lines are blank up to the value column; the next
		// field ("Test:", "Messages:") ends the value.
		for _, c := range lines[i+1:] {
			c = strings.TrimSpace(c)
			if testifyField.MatchString(c) {
				break
			}
			parts = append(parts, c)
		}
		return oneLine(strings.Join(parts, " "))
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") {
			return oneLine(l)
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" && !strings.HasPrefix(lines[i], " ") {
			return oneLine(logPrefix.ReplaceAllString(s, ""))
		}
	}
	return "failed without a message"
}

var testifyField = regexp.MustCompile(`^[A-Z][A-Za-z ]*:\s`)

// maxReason bounds a reason: the full text is in the test's output.
const maxReason = 240

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReason {
		s = s[:maxReason] + "..."
	}
	return s
}
