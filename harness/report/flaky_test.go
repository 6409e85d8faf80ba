package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeRuns(t *testing.T) {
	tt := func(name string, s Status, reason string) Test {
		return Test{Package: "scenarios/x", Name: name, Status: s, Reason: reason, Output: reason}
	}
	runs := [][]Test{
		{tt("Stable", Pass, ""), tt("Flaky", Pass, ""), tt("Skips", Skip, "no ring buffer"), tt("Vanishes", Pass, "")},
		{tt("Stable", Pass, ""), tt("Flaky", Fail, "want 3, got 2"), tt("Skips", Skip, "no ring buffer")},
		{tt("Stable", Pass, ""), tt("Flaky", Pass, ""), tt("Skips", Skip, "no ring buffer"), tt("Vanishes", Pass, "")},
	}
	got := MergeRuns(runs)
	require.Len(t, got, 4)
	byName := map[string]Test{}
	for _, g := range got {
		byName[g.Name] = g
	}
	assert.Equal(t, Pass, byName["Stable"].Status)
	assert.Equal(t, []Status{Pass, Pass, Pass}, byName["Stable"].Runs)

	f := byName["Flaky"]
	assert.Equal(t, Fail, f.Status, "one failing run fails the test")
	assert.Equal(t, []Status{Pass, Fail, Pass}, f.Runs)
	assert.Equal(t, "flaky [2 pass, 1 fail]: want 3, got 2", f.Reason)
	assert.Contains(t, f.Output, "run 2: want 3, got 2")

	assert.Equal(t, Skip, byName["Skips"].Status)
	v := byName["Vanishes"]
	assert.Equal(t, Fail, v.Status, "a test missing from a run hid something")
	assert.Equal(t, []Status{Pass, "", Pass}, v.Runs)
	assert.Contains(t, v.Output, "run 2: no result")

	m := &Matrix{Kernels: []Kernel{{Name: "6.1", Tests: got}}}
	fl := m.Flips()
	require.Len(t, fl, 2)
	assert.Equal(t, "Flaky", fl[0].Name)
	assert.Equal(t, "Vanishes", fl[1].Name)
	var buf bytes.Buffer
	require.NoError(t, WriteFlips(&buf, m, 3))
	assert.Contains(t, buf.String(), "6.1      4 test(s) x 3 runs, 2 flipped")
	assert.Contains(t, buf.String(), "6.1 scenarios/x Flaky [2 pass, 1 fail]\n      | run 2: want 3, got 2")

	buf.Reset()
	require.NoError(t, WriteTable(&buf, m))
	assert.Contains(t, buf.String(), "FAIL [2 pass, 1 fail]", "the table shows the flip")

	one := [][]Test{{tt("A", Pass, "")}}
	assert.Equal(t, one[0], MergeRuns(one), "a single run is kept as is")
}
