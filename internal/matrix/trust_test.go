package matrix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
)

func TestRepeatAndParseRuns(t *testing.T) {
	bins := repeat([]vm.Binary{{Name: "a"}, {Name: "b"}}, 2)
	assert.Equal(t, []string{"a", "a", "b", "b"}, []string{bins[0].Name, bins[1].Name, bins[2].Name, bins[3].Name})

	pass := []byte("\x16=== RUN   TestX\n\x16--- PASS: TestX (0.00s)\n\x16PASS\n")
	fail := []byte("\x16=== RUN   TestX\n    x_test.go:9: want 1, got 2\n\x16--- FAIL: TestX (0.00s)\n\x16FAIL\n")
	tests := parseRuns([]vm.Result{
		{Name: "a", Output: pass}, {Name: "a", Output: fail, ExitCode: 1}, {Name: "a", Output: pass},
		{Name: "b", Output: pass}, {Name: "b", Output: pass}, // b's third run never happened
	}, report.ParseTest2JSON)
	require.Len(t, tests, 2)
	assert.Equal(t, []report.Status{report.Pass, report.Fail, report.Pass}, tests[0].Runs)
	assert.Equal(t, report.Fail, tests[0].Status)
	assert.Contains(t, tests[0].Output, "run 2: want 1, got 2")
	assert.Equal(t, []report.Status{report.Pass, report.Pass, ""}, tests[1].Runs)
	assert.Equal(t, report.Fail, tests[1].Status, "a run that never happened is no pass")

	one := parseRuns([]vm.Result{{Name: "a", Output: pass}}, report.ParseTest2JSON)
	require.Len(t, one, 1)
	assert.Nil(t, one[0].Runs, "one run: no repetition bookkeeping")
}

func TestPolicyFilesCheckedBeforeRunning(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(dir, "scenarios/demo/demo_test.go"), "package demo\n")
	write(t, filepath.Join(dir, "kernels/manifest"), "host host\n")
	for _, tc := range []struct{ file, body, want string }{
		{QuarantineFile, "scenarios/demo TestA | * | 2026-01-01 | flaky\n", "expired on 2026-01-01"},
		{QuarantineFile, "scenarios/demo TestA | * | 2027-01-01 |\n", "no reason"},
		{SplatAllowlistFile, "WARNING: | host\n", "want 3"},
	} {
		t.Run(tc.file+" "+tc.want, func(t *testing.T) {
			p := filepath.Join(dir, "kernels", tc.file)
			write(t, p, tc.body)
			defer os.Remove(p)
			_, err := Run(context.Background(), Options{Root: dir, Manifest: filepath.Join(dir, "kernels/manifest"),
				LockPath: filepath.Join(dir, "kernels/lock.json"), WorkDir: dir, Now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
				NewBackend: func(string, string) (vm.Backend, error) { return nil, errors.New("must not get here") }})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), tc.file)
		})
	}
}

// TestCountFindsFlipAndQuarantine runs a test that fails every second
// time, three times on the host: the flip is reported with its failing
// output; quarantined, it shows but does not fail the matrix.
func TestCountFindsFlipAndQuarantine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the host backend loads the veth module")
	}
	root := t.TempDir()
	counter := filepath.Join(t.TempDir(), "runs")
	write(t, filepath.Join(root, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(root, "cmd/bpflab-guest/main.go"), "package main\n\nfunc main() {}\n")
	write(t, filepath.Join(root, "scenarios/demo/demo_test.go"), `package demo

import (
	"os"
	"testing"
)

func TestStable(t *testing.T) {}

func TestFlaky(t *testing.T) {
	f, err := os.OpenFile(`+"`"+counter+"`"+`, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	data, _ := os.ReadFile(`+"`"+counter+"`"+`)
	if len(data)%2 == 0 {
		t.Fatalf("even run %d fails", len(data))
	}
}
`)
	write(t, filepath.Join(root, "kernels/manifest"), "host host\n")
	run := func() *report.Matrix {
		os.Remove(counter)
		m, err := Run(context.Background(), Options{
			Root: root, Manifest: filepath.Join(root, "kernels/manifest"), LockPath: filepath.Join(root, "kernels/lock.json"),
			WorkDir: t.TempDir(), Host: host.New(time.Minute), Backend: "qemu", Count: 3,
			NewBackend: func(string, string) (vm.Backend, error) { return nil, errors.New("no VM needed for host") },
		})
		require.NoError(t, err)
		return m
	}
	m := run()
	fl := m.Flips()
	require.Len(t, fl, 1, "%+v", m.Kernels[0].Tests)
	assert.Equal(t, "TestFlaky", fl[0].Name)
	assert.Equal(t, []report.Status{report.Pass, report.Fail, report.Pass}, fl[0].Runs)
	assert.Contains(t, fl[0].Failures, "even run 2 fails")
	assert.True(t, m.Failed())

	write(t, filepath.Join(root, "kernels", QuarantineFile), "scenarios/demo TestFlaky$ | host | 2099-01-01 | flips by design in this test\n")
	m = run()
	require.Len(t, m.Flips(), 1, "a quarantined test still runs and shows")
	assert.Contains(t, m.Kernels[0].Tests[len(m.Kernels[0].Tests)-1].Quarantined+m.Kernels[0].Tests[0].Quarantined, "flips by design")
	assert.False(t, m.Failed(), "quarantined until 2099: not failing the matrix")
}

func TestFillRunFindsSplats(t *testing.T) {
	splat := "[   20.6] watchdog: BUG: soft lockup - CPU#0 stuck for 3s! [failmode:92]\n[   20.7] Modules linked in:\n"
	var k report.Kernel
	fillRun(&k, &vm.Run{KernelLog: "[    0.0] Linux version 6.1\n" + splat}, nil, report.ParseTest2JSON)
	require.Len(t, k.Splats, 1)
	assert.Equal(t, "BUG: soft lockup", k.Splats[0].Kind)
	assert.True(t, k.Failed(), "a splat fails the kernel with no test failing")

	// Without a kernel log (a guest that died), the console is scanned.
	con := filepath.Join(t.TempDir(), "console.log")
	write(t, con, splat)
	var k2 report.Kernel
	fillRun(&k2, &vm.Run{Console: con}, nil, report.ParseTest2JSON)
	require.Len(t, k2.Splats, 1)

	p := &policy{allow: []report.AllowedSplat{{Pattern: regexp.MustCompile("soft lockup"), Kernels: []string{"*"}, Reason: "TCG noise"}}}
	p.apply(&k2)
	assert.False(t, k2.Failed(), "an allowlisted splat shows but does not fail")
}
