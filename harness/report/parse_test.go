package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseGoTest(t *testing.T) {
	type want struct {
		status Status
		reason string // substring
	}
	tests := []struct {
		file  string
		exit  int
		want  map[string]want
		count int
	}{
		{
			file: "verbose.txt", exit: 1, count: 11,
			want: map[string]want{
				"TestPass":       {Pass, ""},
				"TestSkip":       {Skip, "kernel lacks BPF_LINK for XDP (probe: not supported)"},
				"TestFail":       {Fail, "want 3 got 2"},
				"TestSub":        {Fail, "subtest b_c failed"},
				"TestSub/a":      {Pass, ""},
				"TestSub/b_c":    {Fail, "boom"},
				"TestSub/skipme": {Skip, "nope"},
				"TestPar1":       {Pass, ""},
				"TestPar2":       {Pass, ""},
				"TestPanic":      {Pass, ""},
				"TestHang":       {Pass, ""},
			},
		},
		{
			// Without -test.v only failures are listed, with their logs after.
			file: "quiet.txt", exit: 1, count: 3,
			want: map[string]want{
				"TestFail":    {Fail, "want 3 got 2"},
				"TestSub":     {Fail, "subtest b_c failed"},
				"TestSub/b_c": {Fail, "boom"},
			},
		},
		{
			// -test.timeout fired in TestHang: it and the paused parallel
			// tests have no result line.
			file: "timeout.txt", exit: 2, count: 10,
			want: map[string]want{
				"TestHang": {Fail, "exited with status 2 while this test ran"},
				"TestPar1": {Fail, "no result"},
				"TestPass": {Pass, ""},
			},
		},
		{
			file: "panic.txt", exit: 2, count: 11,
			want: map[string]want{
				"TestPanic": {Fail, "panic: oh no [recovered, repanicked]"},
				"TestPar1":  {Fail, "no result"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			got := ParseGoTest("scenarios/x", out, tt.exit)
			require.Len(t, got, tt.count)
			byName := map[string]Test{}
			for _, g := range got {
				assert.Equal(t, "scenarios/x", g.Package)
				byName[g.Name] = g
			}
			for name, w := range tt.want {
				g, ok := byName[name]
				require.True(t, ok, "test %s missing", name)
				assert.Equal(t, w.status, g.Status, name)
				assert.Contains(t, g.Reason, w.reason, name)
				if w.status == Fail {
					assert.NotEmpty(t, g.Reason, name)
				}
			}
		})
	}
}

func TestParseGoTestTimeoutKeepsPanic(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "timeout.txt"))
	require.NoError(t, err)
	for _, g := range ParseGoTest("p", out, 2) {
		if g.Name == "TestHang" {
			assert.Contains(t, g.Output, "panic: test timed out after 1s")
			return
		}
	}
	t.Fatal("TestHang not parsed")
}

func TestParseGoTestBinaryLevel(t *testing.T) {
	tests := []struct {
		name string
		out  string
		exit int
		want []Test
	}{
		{"crash before tests", "fatal error: unexpected signal\n", -1, []Test{{
			Package: "p", Name: BinaryTest, Status: Fail,
			Reason: "the test binary did not exit (killed or timed out)", Output: "fatal error: unexpected signal",
		}}},
		{"TestMain failure after passing", "=== RUN   TestA\n--- PASS: TestA (0.50s)\nPASS\nleaked fd 7\n", 1, []Test{
			{Package: "p", Name: "TestA", Status: Pass, Duration: Duration(500_000_000)},
			{Package: "p", Name: BinaryTest, Status: Fail, Reason: "the test binary exited with status 1",
				Output: "=== RUN   TestA\n--- PASS: TestA (0.50s)\nPASS\nleaked fd 7"},
		}},
		{"no tests, exit 0", "testing: warning: no tests to run\nPASS\n", 0, nil},
		{"testify error line", "=== RUN   TestT\n    x_test.go:9: \n        \tError Trace:\tx_test.go:9\n        \tError:      \tShould be true\n        \tTest:       \tTestT\n--- FAIL: TestT (0.00s)\nFAIL\n", 1, []Test{
			{Package: "p", Name: "TestT", Status: Fail, Reason: "Should be true",
				Output: "x_test.go:9: \n    \tError Trace:\tx_test.go:9\n    \tError:      \tShould be true\n    \tTest:       \tTestT"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ParseGoTest("p", []byte(tt.out), tt.exit))
		})
	}
}

func TestFailureReason(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"testify with continuation", []string{"a_test.go:9: ", "    \tError Trace:\ta_test.go:9", "    \tError:      \tReceived unexpected error:", "    \t            \tload firewall: permission denied", "    \tTest:       \tTestX"},
			"Received unexpected error: load firewall: permission denied"},
		{"plain t.Errorf", []string{"a_test.go:5: before", "a_test.go:5: want 3 got 2", "    second line"}, "want 3 got 2"},
		{"long message is cut", []string{"a_test.go:1: " + long}, strings.Repeat("x", maxReason) + "..."},
		{"nothing logged", nil, "failed without a message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, failureReason(tt.lines))
		})
	}
}

func TestParentReasonNamesFailedChild(t *testing.T) {
	out := "=== RUN   TestP\n    p_test.go:3: 40 noise processes\n=== RUN   TestP/a\n=== RUN   TestP/a/deep\n" +
		"    p_test.go:9: boom\n--- FAIL: TestP (1.00s)\n    --- FAIL: TestP/a (1.00s)\n        --- FAIL: TestP/a/deep (1.00s)\nFAIL\n"
	got := ParseGoTest("p", []byte(out), 1)
	require.Len(t, got, 3)
	assert.Equal(t, "subtest a failed", got[0].Reason)
	assert.Equal(t, "p_test.go:3: 40 noise processes", got[0].Output, "the parent's context lines stay in its output")
	assert.Equal(t, "subtest deep failed", got[1].Reason)
	assert.Equal(t, "boom", got[2].Reason)
}

func TestPanicGoesToInnermostFailedTest(t *testing.T) {
	out := "=== RUN   TestP\n=== RUN   TestP/native\n--- FAIL: TestP (0.24s)\n    --- FAIL: TestP/native (0.21s)\n" +
		"panic: runtime error: invalid memory address or nil pointer dereference [recovered, repanicked]\n" +
		"[signal SIGSEGV: segmentation violation code=0x1 addr=0x50 pc=0x6f303a]\n\ngoroutine 7 [running]:\n"
	got := ParseGoTest("p", []byte(out), 2)
	require.Len(t, got, 2)
	assert.Equal(t, "subtest native failed", got[0].Reason)
	assert.Equal(t, "panic: runtime error: invalid memory address or nil pointer dereference [recovered, repanicked]", got[1].Reason)
	assert.Contains(t, got[1].Output, "goroutine 7 [running]:")
}

func TestPanicAfterLoggingInSubtest(t *testing.T) {
	out := "=== RUN   TestP\n=== RUN   TestP/a\n    p_test.go:5: about to crash\n--- FAIL: TestP (0.01s)\n    --- FAIL: TestP/a (0.01s)\n" +
		"panic: boom [recovered, repanicked]\n"
	got := ParseGoTest("p", []byte(out), 2)
	require.Len(t, got, 2)
	assert.Equal(t, "subtest a failed", got[0].Reason)
	assert.Equal(t, "panic: boom [recovered, repanicked]", got[1].Reason)
	assert.Equal(t, "p_test.go:5: about to crash\npanic: boom [recovered, repanicked]", got[1].Output)
}
