package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// framedOK is what a test binary prints with -test.v=test2json (recorded
// from Go 1.26): ^V marks the frames. TestA logs a line that looks like a
// result of a test that does not exist.
const framedOK = "\x16=== RUN   TestA\n" +
	"    x_test.go:3: hi\n" +
	"        --- PASS: TestFake (0.00s)\n" +
	"\x16=== RUN   TestA/sub\n" +
	"    x_test.go:3: nope\n" +
	"\x16--- SKIP: TestA/sub (0.00s)\n" +
	"\x16=== NAME  TestA\n" +
	"\x16--- PASS: TestA (0.00s)\n" +
	"\x16=== NAME  \n" +
	"\x16=== RUN   TestB\n" +
	"    x_test.go:4: bad\n" +
	"\x16--- FAIL: TestB (0.01s)\n" +
	"\x16=== NAME  \n" +
	"\x16FAIL\n"

func statuses(tests []Test) map[string]Status {
	out := map[string]Status{}
	for _, t := range tests {
		out[t.Name] = t.Status
	}
	return out
}

func find(tests []Test, name string) Test {
	for _, t := range tests {
		if t.Name == name {
			return t
		}
	}
	return Test{}
}

func TestParseTest2JSON(t *testing.T) {
	got := ParseTest2JSON("scenarios/x", []byte(framedOK), 1)
	assert.Equal(t, map[string]Status{"TestA": Pass, "TestA/sub": Skip, "TestB": Fail}, statuses(got),
		"a logged '--- PASS' line is output, not a test")
	assert.Equal(t, "nope", find(got, "TestA/sub").Reason)
	assert.Equal(t, "bad", find(got, "TestB").Reason)

	// The unframed parser is fooled by the same bytes without markers.
	plain := ParseGoTest("scenarios/x", []byte(strings.ReplaceAll(framedOK, "\x16", "")), 1)
	assert.Contains(t, statuses(plain), "TestFake", "why framing matters")
}

func TestParseTest2JSONBrokenStreams(t *testing.T) {
	passA := "\x16=== RUN   TestA\n\x16--- PASS: TestA (0.00s)\n"
	for _, tc := range []struct {
		name   string
		output string
		exit   int
		want   map[string]Status
		reason string
	}{
		{"cut after a test, exit 0", passA + "\x16=== RUN   TestB\n    log\n", 0,
			map[string]Status{"TestA": Pass, "TestB": Fail, OutputTest: Fail}, "final PASS/FAIL frame"},
		{"cut between tests, exit 0", passA, 0,
			map[string]Status{"TestA": Pass, OutputTest: Fail}, "output was cut or lost"},
		{"empty output, exit 0", "", 0,
			map[string]Status{OutputTest: Fail}, "final PASS/FAIL frame"},
		{"garbled frame", passA + "\x16--- PASS TestB 0.00s\n\x16PASS\n", 0,
			map[string]Status{"TestA": Pass, OutputTest: Fail}, `garbled frame "--- PASS TestB 0.00s"`},
		{"killed mid-test keeps the test's failure", passA + "\x16=== RUN   TestB\n", -1,
			map[string]Status{"TestA": Pass, "TestB": Fail}, ""},
		{"no tests to run", "\x16testing: warning: no tests to run\n\x16PASS\n", 0,
			map[string]Status{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseTest2JSON("scenarios/x", []byte(tc.output), tc.exit)
			assert.Equal(t, tc.want, statuses(got))
			if tc.reason != "" {
				o := find(got, OutputTest)
				assert.Contains(t, o.Reason, tc.reason)
				assert.Contains(t, o.Output, "raw tail of the output")
				assert.True(t, strings.HasSuffix(o.Output, tc.output), "the raw tail is shown")
			}
		})
	}
}

// TestParseTooLongLine: a line over the scanner's limit stops the parse;
// the tests after it must not vanish silently (both parsers).
func TestParseTooLongLine(t *testing.T) {
	long := "\x16=== RUN   TestA\n    " + strings.Repeat("x", maxLine+10) + "\n\x16--- PASS: TestA (0.00s)\n" +
		"\x16=== RUN   TestB\n\x16--- PASS: TestB (0.00s)\n\x16PASS\n"
	for name, parse := range map[string]func(string, []byte, int) []Test{"framed": ParseTest2JSON, "plain": ParseGoTest} {
		t.Run(name, func(t *testing.T) {
			got := parse("scenarios/x", []byte(long), 0)
			o := find(got, OutputTest)
			require.Equal(t, Fail, o.Status, "%v", statuses(got))
			assert.Contains(t, o.Reason, "token too long")
			assert.LessOrEqual(t, len(o.Output), rawTail+512, "only the tail is kept")
		})
	}
}
