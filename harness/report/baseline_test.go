package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompare(t *testing.T) {
	tt := func(name string, s Status) Test { return Test{Package: "scenarios/x", Name: name, Status: s} }
	tests := []struct {
		name       string
		prev, cur  Kernel
		want       []Change
		regression bool
	}{
		{name: "unchanged",
			prev: Kernel{Name: "6.1", Tests: []Test{tt("A", Pass)}},
			cur:  Kernel{Name: "6.1", Tests: []Test{tt("A", Pass)}}},
		{name: "pass to fail is a regression",
			prev:       Kernel{Name: "6.1", Tests: []Test{tt("A", Pass)}},
			cur:        Kernel{Name: "6.1", Tests: []Test{tt("A", Fail)}},
			want:       []Change{{Kernel: "6.1", Package: "scenarios/x", Name: "A", Kind: NewlyFailing, Before: "pass", After: "fail", Regression: true}},
			regression: true},
		{name: "skip to fail is a regression",
			prev:       Kernel{Name: "6.1", Tests: []Test{tt("A", Skip)}},
			cur:        Kernel{Name: "6.1", Tests: []Test{tt("A", Fail)}},
			want:       []Change{{Kernel: "6.1", Package: "scenarios/x", Name: "A", Kind: NewlyFailing, Before: "skip", After: "fail", Regression: true}},
			regression: true},
		{name: "new failing test is newly failing, not a regression",
			prev: Kernel{Name: "6.1"},
			cur:  Kernel{Name: "6.1", Tests: []Test{tt("B", Fail)}},
			want: []Change{{Kernel: "6.1", Package: "scenarios/x", Name: "B", Kind: NewlyFailing, Before: "absent", After: "fail"}}},
		{name: "fail to pass",
			prev: Kernel{Name: "6.1", Tests: []Test{tt("A", Fail)}},
			cur:  Kernel{Name: "6.1", Tests: []Test{tt("A", Pass)}},
			want: []Change{{Kernel: "6.1", Package: "scenarios/x", Name: "A", Kind: NewlyPassing, Before: "fail", After: "pass"}}},
		{name: "pass to skip and a vanished passing test are regressions",
			prev: Kernel{Name: "6.1", Tests: []Test{tt("A", Pass), tt("Gone", Pass)}},
			cur:  Kernel{Name: "6.1", Tests: []Test{tt("A", Skip)}},
			want: []Change{
				{Kernel: "6.1", Package: "scenarios/x", Name: "A", Kind: NewlySkipping, Before: "pass", After: "skip", Regression: true},
				{Kernel: "6.1", Package: "scenarios/x", Name: "Gone", Kind: Vanished, Before: "pass", After: "absent", Regression: true},
			},
			regression: true},
		{name: "a vanished skip or failure is noted, not a regression",
			prev: Kernel{Name: "6.1", Tests: []Test{tt("S", Skip), tt("F", Fail)}},
			cur:  Kernel{Name: "6.1"},
			want: []Change{
				{Kernel: "6.1", Package: "scenarios/x", Name: "F", Kind: Vanished, Before: "fail", After: "absent"},
				{Kernel: "6.1", Package: "scenarios/x", Name: "S", Kind: Vanished, Before: "skip", After: "absent"},
			}},
		{name: "skip to pass and fail to skip are changes",
			prev: Kernel{Name: "6.1", Tests: []Test{tt("A", Skip), tt("B", Fail)}},
			cur:  Kernel{Name: "6.1", Tests: []Test{tt("A", Pass), tt("B", Skip)}},
			want: []Change{
				{Kernel: "6.1", Package: "scenarios/x", Name: "A", Kind: Changed, Before: "skip", After: "pass"},
				{Kernel: "6.1", Package: "scenarios/x", Name: "B", Kind: Changed, Before: "fail", After: "skip"},
			}},
		{name: "kernel that no longer completes is a regression",
			prev:       Kernel{Name: "5.10"},
			cur:        Kernel{Name: "5.10", Error: "hang", ErrorPhase: "boot"},
			want:       []Change{{Kernel: "5.10", Name: runRow, Kind: NewlyFailing, Before: "completed", After: "did not complete (boot)", Regression: true}},
			regression: true},
		{name: "kernel that completes again",
			prev: Kernel{Name: "5.10", Error: "hang", ErrorPhase: "boot"},
			cur:  Kernel{Name: "5.10"},
			want: []Change{{Kernel: "5.10", Name: runRow, Kind: NewlyPassing, Before: "did not complete (boot)", After: "completed"}}},
		{name: "kernel missing from the baseline is not compared",
			prev: Kernel{Name: "6.1"},
			cur:  Kernel{Name: "7.2", Tests: []Test{tt("A", Fail)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Compare(&Matrix{Kernels: []Kernel{tc.prev}}, &Matrix{Kernels: []Kernel{tc.cur}})
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.regression, len(Regressions(got)) > 0)
		})
	}
}

func TestWriteComparison(t *testing.T) {
	prev := sampleMatrix()
	cur := sampleMatrix()
	cur.Kernels[0].Tests[2].Status = Fail // host scenarios/execve TestCount
	cur.Kernels[1].Tests[0].Status = Pass // 5.10 TestDrop fixed
	var buf bytes.Buffer
	require.NoError(t, WriteComparison(&buf, "prev.json", Compare(prev, cur)))
	assert.Equal(t, `
Compared with baseline prev.json:
newly failing:
  host     scenarios/execve TestCount: pass -> fail  REGRESSION
newly passing:
  5.10     scenarios/xdp TestDrop: fail -> pass
1 regression(s) on kernel(s) [host]
`, buf.String())

	// A test that starts skipping and one that vanishes are regressions.
	cur = sampleMatrix()
	cur.Kernels[0].Tests[2].Status = Skip
	cur.Kernels[1].Tests = cur.Kernels[1].Tests[:2] // 5.10 TestCount gone
	buf.Reset()
	require.NoError(t, WriteComparison(&buf, "prev.json", Compare(prev, cur)))
	assert.Equal(t, `
Compared with baseline prev.json:
newly skipping:
  host     scenarios/execve TestCount: pass -> skip  REGRESSION
vanished:
  5.10     scenarios/execve TestCount: pass -> absent  REGRESSION
2 regression(s) on kernel(s) [host 5.10]
`, buf.String())

	buf.Reset()
	require.NoError(t, WriteComparison(&buf, "prev.json", Compare(prev, prev)))
	assert.Contains(t, buf.String(), "no changes")
}
