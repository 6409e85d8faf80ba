package matrix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(root, "scenarios/xdp/xdp_test.go"), "package xdp\n")
	write(t, filepath.Join(root, "scenarios/execve/x_test.go"), "package execve_test\n")
	write(t, filepath.Join(root, "scenarios/notests/doc.go"), "package notests\n")
	write(t, filepath.Join(root, "lib/lib.go"), "package lib\n")
	write(t, filepath.Join(root, "root_test.go"), "package m\n")

	tests := []struct {
		patterns []string
		want     []string
		bad      string
	}{
		{patterns: nil, want: []string{"example.com/m", "scenarios/execve", "scenarios/xdp"}},
		{patterns: []string{"./scenarios/..."}, want: []string{"scenarios/execve", "scenarios/xdp"}},
		{patterns: []string{"scenarios/xdp"}, want: []string{"scenarios/xdp"}},
		{patterns: []string{"./scenarios/xdp/", "example.com/m/scenarios/execve"}, want: []string{"scenarios/xdp", "scenarios/execve"}},
		{patterns: []string{"./scenarios/notests"}, bad: "no package with tests"},
		{patterns: []string{"./lib/..."}, bad: "no package with tests"},
		{patterns: []string{"./nope"}, bad: "nope"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.patterns, ","), func(t *testing.T) {
			got, err := Discover(context.Background(), root, tt.patterns)
			if tt.bad != "" {
				var up *UnknownPackageError
				require.ErrorAs(t, err, &up)
				assert.ErrorContains(t, err, tt.bad)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, p := range got {
				names = append(names, p.Name)
				assert.DirExists(t, p.Dir)
				assert.True(t, strings.HasPrefix(p.ImportPath, "example.com/m"), p.ImportPath)
			}
			assert.Equal(t, tt.want, names)
		})
	}
	assert.Equal(t, []string{"./scenarios/..."}, DefaultPatterns("github.com/bpflab/bpflab"))
	assert.Equal(t, []string{"./..."}, DefaultPatterns("example.com/m"))
	_, err := Discover(context.Background(), t.TempDir(), nil)
	assert.ErrorContains(t, err, "is not inside a Go module")
}

func TestTestdataCarried(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "testdata/a.elf"), "A")
	write(t, filepath.Join(dir, "testdata/sub/b.txt"), "BB")
	files, size, err := testdataFiles(filepath.Join(dir, "testdata"))
	require.NoError(t, err)
	assert.Equal(t, int64(3), size)
	assert.Equal(t, map[string]string{
		filepath.Join(dir, "testdata/a.elf"):     filepath.Join(dir, "testdata/a.elf"),
		filepath.Join(dir, "testdata/sub/b.txt"): filepath.Join(dir, "testdata/sub/b.txt"),
	}, files, "the guest sees testdata at the host path, where the binary runs")
	files, _, err = testdataFiles(filepath.Join(t.TempDir(), "testdata"))
	require.NoError(t, err)
	assert.Empty(t, files)

	mod := filepath.Join(t.TempDir(), "mod")
	assert.Equal(t, []string{mod + "/a/b/testdata", mod + "/a/testdata", mod + "/testdata"},
		testdataDirs(Package{Dir: mod + "/a/b", ModuleDir: mod}), "../testdata up to the module root")
	assert.Equal(t, []string{mod + "/testdata"}, testdataDirs(Package{Dir: mod, ModuleDir: mod}))
}

func TestJobsArgs(t *testing.T) {
	b := &Built{Binaries: []vm.Binary{{Name: "scenarios/xdp", Path: "/b/xdp.test"}}}
	assert.Equal(t, []string{"-test.v=test2json", "-test.count=1", "-test.timeout=5m0s"}, b.Jobs("", 5*time.Minute)[0].Args)
	assert.Equal(t, []string{"-test.v=test2json", "-test.count=1", "-test.timeout=1m0s", "-test.run=^TestX$"}, b.Jobs("^TestX$", time.Minute)[0].Args)
	assert.Empty(t, b.Binaries[0].Args, "Jobs must not modify the built list")
}

func TestFillRun(t *testing.T) {
	run := &vm.Run{
		Backend: "vng", Accel: "tcg", Release: "6.1.0-56-amd64", Console: "/w/console.log",
		Phases: []vm.Phase{{Name: "boot", Duration: 20 * time.Second}},
		Results: []vm.Result{{Name: "scenarios/xdp", ExitCode: -1,
			Output: []byte("\x16=== RUN   TestA\n\x16--- PASS: TestA (0.10s)\n\x16=== RUN   TestB\n")}},
	}
	var k report.Kernel
	fillRun(&k, run, &vm.PhaseError{Phase: "test", Err: errors.New("running scenarios/xdp: job deadline passed"), ConsoleTail: "tail"}, report.ParseTest2JSON)
	assert.Equal(t, "tcg", k.Accel)
	assert.Equal(t, "6.1.0-56-amd64", k.Release)
	assert.Equal(t, "test", k.ErrorPhase)
	assert.Equal(t, "running scenarios/xdp: job deadline passed", k.Error)
	assert.Equal(t, "tail", k.ConsoleTail)
	require.Len(t, k.Tests, 2)
	assert.Equal(t, report.Pass, k.Tests[0].Status)
	assert.Equal(t, report.Fail, k.Tests[1].Status, "a test cut off by the deadline fails")

	var k2 report.Kernel
	fillRun(&k2, nil, errors.New("plain"), report.ParseGoTest)
	assert.Equal(t, "run", k2.ErrorPhase)
}

func TestRunUnknownKernel(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "manifest"), "host host\n6.1 suite=bookworm\n")
	_, err := Run(context.Background(), Options{Root: dir, Manifest: filepath.Join(dir, "manifest"),
		LockPath: filepath.Join(dir, "lock.json"), Kernels: []string{"9.9"}, WorkDir: dir})
	var uk *kernel.UnknownKernelError
	require.ErrorAs(t, err, &uk)
	assert.Equal(t, []string{"6.1", "host"}, uk.Known)
}

// TestRunHostEndToEnd builds a throwaway module's scenario package and runs
// it on the host kernel: build, run, parse and report, with no VM.
func TestRunHostEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the host backend loads the veth module")
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(root, "scenarios/demo/demo_test.go"), `package demo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOK(t *testing.T) {
	dir := os.Getenv("BPFLAB_ARTIFACTS")
	if dir == "" {
		t.Fatal("BPFLAB_ARTIFACTS is not set")
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "loadreport-demo.json"), []byte(`+"`"+`{"kernel":"demo","objects":[]}`+"`"+`), 0o644); err != nil {
		t.Fatal(err)
	}
}
func TestSkip(t *testing.T) { t.Skip("probe says no") }
func TestBad(t *testing.T)  { t.Fatal("want 1, got 2") }
`)
	write(t, filepath.Join(root, "scenarios/broken/broken_test.go"), "package broken\n\nfunc TestX(t *testing.T) {}\n")
	write(t, filepath.Join(root, "kernels/manifest"), "host host\n")

	m, err := Run(context.Background(), Options{
		Root: root, Manifest: filepath.Join(root, "kernels/manifest"), LockPath: filepath.Join(root, "kernels/lock.json"),
		WorkDir: t.TempDir(), Host: host.New(time.Minute), Backend: "qemu", CacheDir: t.TempDir(),
		NewBackend: func(string, string) (vm.Backend, error) { return nil, errors.New("no VM needed for host") },
	})
	require.NoError(t, err)
	require.Len(t, m.Kernels, 1)
	k := m.Kernels[0]
	assert.Equal(t, "host", k.Backend)
	assert.Empty(t, k.Error)
	status := map[string]report.Status{}
	for _, tc := range k.Tests {
		status[tc.Package+" "+tc.Name] = tc.Status
	}
	assert.Equal(t, map[string]report.Status{
		"scenarios/demo TestOK":    report.Pass,
		"scenarios/demo TestSkip":  report.Skip,
		"scenarios/demo TestBad":   report.Fail,
		"scenarios/broken (build)": report.Fail,
	}, status)
	assert.True(t, m.Failed())
	require.Len(t, k.Artifacts, 1, "the host run's artifact is collected")
	assert.Equal(t, "loadreport-demo.json", filepath.Base(k.Artifacts[0]))
	require.NotNil(t, k.LoadReport)
	assert.Equal(t, "demo", k.LoadReport.Kernel)
}

func TestRunEmptyShard(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(dir, "scenarios/demo/demo_test.go"), "package demo\n")
	write(t, filepath.Join(dir, "manifest"), "host host\n")
	// With one kernel and two shards, exactly one shard is empty.
	var sizes []int
	for i := 1; i <= 2; i++ {
		m, err := Run(context.Background(), Options{Root: dir, Manifest: filepath.Join(dir, "manifest"),
			LockPath: filepath.Join(dir, "lock.json"), WorkDir: dir, Shard: Shard{Index: i, Count: 2}, Host: host.New(time.Minute),
			NewBackend: func(string, string) (vm.Backend, error) { return nil, errors.New("unused") }})
		if len(Shard{Index: i, Count: 2}.Pick([]string{"host"})) == 0 {
			require.NoError(t, err)
			assert.NotNil(t, m.Kernels, "an empty shard still writes an (empty) kernel list")
			sizes = append(sizes, len(m.Kernels))
		}
	}
	assert.Equal(t, []int{0}, sizes)
}

// TestCoverOnHost builds a package with -cover, runs it on the host kernel
// and turns what came back into a per-kernel and a merged profile that
// show which branch ran.
func TestCoverOnHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the host backend loads the veth module")
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/c\n\ngo 1.21\n")
	write(t, filepath.Join(root, "lib/lib.go"), "package lib\n\nfunc Pick(new bool) string {\n\tif new {\n\t\treturn \"ringbuf\"\n\t}\n\treturn \"perfbuf\"\n}\n")
	write(t, filepath.Join(root, "lib/lib_test.go"), "package lib\n\nimport \"testing\"\n\nfunc TestPick(t *testing.T) {\n\tif Pick(true) != \"ringbuf\" {\n\t\tt.Fatal(\"want ringbuf\")\n\t}\n}\n")
	write(t, filepath.Join(root, "kernels/manifest"), "host host\n")
	m, err := Run(context.Background(), Options{Root: root, WorkDir: t.TempDir(), Host: host.New(time.Minute), Cover: true,
		NewBackend: func(string, string) (vm.Backend, error) { return nil, errors.New("no VM needed for host") }})
	require.NoError(t, err)
	require.False(t, m.Failed(), "%+v", m.Kernels)

	// A relative output dir, as `--cover cov` gives.
	t.Chdir(t.TempDir())
	cov, err := WriteCoverage(context.Background(), "cov", m)
	require.NoError(t, err)
	require.Contains(t, cov.PerKernel, "host")
	for _, p := range []string{cov.Merged, cov.PerKernel["host"]} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		// lib.go:4 (the ringbuf branch) ran once, lib.go:7 (perfbuf) never.
		assert.Contains(t, string(data), "example.com/c/lib/lib.go:4.", p)
		assert.Regexp(t, `lib\.go:4\.\d+,6\.\d+ 1 1`, string(data), p)
		assert.Regexp(t, `lib\.go:7\.\d+,7\.\d+ 1 0`, string(data), p)
	}
	_, err = WriteCoverage(context.Background(), t.TempDir(), &report.Matrix{Kernels: []report.Kernel{{Name: "x"}}})
	assert.ErrorContains(t, err, "no kernel brought coverage data back")
}
