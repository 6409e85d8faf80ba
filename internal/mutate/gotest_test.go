package mutate

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
)

const sampleJSON = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestX"}
{"Action":"output","Package":"m/a","Test":"TestX","Output":"    x_test.go:9: load program: permission denied: invalid access to packet\n"}
{"Action":"fail","Package":"m/a","Test":"TestX","Elapsed":0.5}
{"Action":"run","Package":"m/a","Test":"TestY"}
{"Action":"pass","Package":"m/a","Test":"TestY"}
{"Action":"fail","Package":"m/a","Elapsed":1}
{"Action":"run","Package":"m/b","Test":"TestZ"}
{"Action":"output","Package":"m/b","Test":"TestZ","Output":"panic: test timed out after 1m0s\n"}
{"Action":"output","Package":"m/b","Output":"FAIL\tm/b\t60.0s\n"}
{"Action":"fail","Package":"m/b","Elapsed":60}
{"Action":"output","Package":"m/c","Output":"FAIL\tm/c [build failed]\n"}
{"Action":"fail","Package":"m/c"}
not json
`

func TestParseTestJSON(t *testing.T) {
	tests := parseTestJSON([]byte(sampleJSON))
	byName := map[string]report.Test{}
	for _, tt := range tests {
		byName[tt.Package+"."+tt.Name] = tt
	}
	require.Len(t, byName, 4, "%v", tests)
	assert.Equal(t, report.Fail, byName["m/a.TestX"].Status)
	assert.Contains(t, byName["m/a.TestX"].Reason, "load program: permission denied")
	assert.Equal(t, report.Pass, byName["m/a.TestY"].Status)
	assert.Equal(t, report.Fail, byName["m/b.TestZ"].Status, "a test that never finished failed")
	assert.Equal(t, report.Fail, byName["m/c."+report.BuildTest].Status)
}

func TestClassify(t *testing.T) {
	fail := func(pkg, name, out string) report.Test {
		return report.Test{Package: pkg, Name: name, Status: report.Fail, Output: out, Reason: failureReason(out)}
	}
	pass := report.Test{Package: "m/a", Name: "TestOK", Status: report.Pass}
	for _, c := range []struct {
		name   string
		tests  []report.Test
		err    error
		ignore map[string]bool
		want   Status
		by     []string
	}{
		{"all pass", []report.Test{pass}, nil, nil, Survived, nil},
		{"a test fails", []report.Test{pass, fail("m/x/a", "TestV", "Error: want 2, got 1")}, nil, nil, Killed, []string{"x/a.TestV"}},
		{"verifier", []report.Test{fail("m/a", "TestL", "load program: permission denied: R1 invalid mem access")}, nil, nil, Verifier, []string{"m/a.TestL"}},
		{"baseline failure ignored", []report.Test{pass, fail("m/a", "TestFlaky", "x")}, nil, map[string]bool{"m/a.TestFlaky": true}, Survived, nil},
		{"deadline", []report.Test{pass}, errTimeout, nil, Timeout, nil},
		{"subtests name the case", []report.Test{fail("m/a", "TestV", "x"), fail("m/a", "TestV/ipv6", "y"), fail("m/a", "TestW", "z")}, nil, nil, Killed, []string{"m/a.TestV/ipv6", "m/a.TestW"}},
		{"go test broke", nil, errors.New("exec: go: not found"), nil, Errored, nil},
		{"test binary does not build", []report.Test{fail("m/a", report.BuildTest, "x.go:1: undefined: y")}, nil, nil, BuildFail, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := classify(c.tests, c.err, c.ignore)
			assert.Equal(t, c.want, got.Status, got.Detail)
			assert.Equal(t, c.by, got.KilledBy)
		})
	}
}

func TestScoresAndComparison(t *testing.T) {
	mk := func(id, line string, st Status) Result {
		return Result{Mutant: Mutant{ID: id, Program: "p", File: "p.bpf.c", Operator: OpConstant, Before: line, Old: "1", New: "2"},
			Outcomes: []Outcome{{Kernel: HostKernel, Status: st}}}
	}
	rep := &Report{Programs: []string{"p"}, Kernels: []string{HostKernel}, Results: []Result{
		mk("p-001", "a = 1;", Killed), mk("p-002", "b = 1;", Survived), mk("p-003", "c = 1;", Verifier),
		mk("p-004", "d = 1;", BuildFail), mk("p-005", "e = 1;", Equivalent),
	}}
	rep.Scores = scores(rep)
	require.Len(t, rep.Scores, 1)
	assert.InDelta(t, 66.67, rep.Scores[0].Percent, 0.01)

	base := &Report{Programs: []string{"p"}, Kernels: []string{HostKernel}, Results: []Result{
		mk("p-007", "b = 1;", Killed), // renumbered, same mutant
	}}
	base.Scores = scores(base)
	var out strings.Builder
	rep.WriteComparison(&out, base)
	assert.Contains(t, out.String(), "100.0%")
	assert.Contains(t, out.String(), "p-002 on host: killed -> survived")
}
