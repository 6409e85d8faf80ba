package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
)

// TestResultCacheHost runs a throwaway module's packages on the host
// twice and more: every test appends a line to a log, so the log tells
// which binaries really ran. A warm rerun runs nothing, a change to one
// package reruns that package only, a failing package always reruns,
// --fresh reruns everything, and the artifacts of a cached writer remain.
func TestResultCacheHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the host backend loads the veth module")
	}
	root, cache, ran := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "ran")
	write(t, filepath.Join(root, "go.mod"), "module example.com/m\n\ngo 1.21\n")
	write(t, filepath.Join(root, "cmd/bpflab-guest/main.go"), "package main\n\nfunc main() {}\n")
	write(t, filepath.Join(root, "kernels/manifest"), "host host\n")
	pkg := func(name, body string) {
		write(t, filepath.Join(root, "scenarios", name, name+"_test.go"), fmt.Sprintf(`package %s

import (
	"os"
	"path/filepath"
	"testing"
)

func mark(t *testing.T) {
	f, err := os.OpenFile(%q, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(%q + "\n")
	_ = filepath.Join
}

%s
`, name, ran, name, body))
	}
	pkg("alpha", `func TestA(t *testing.T) {
	mark(t)
	dir := os.Getenv("BPFLAB_ARTIFACTS")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "loadreport-alpha.json"), []byte(`+"`"+`{"kernel":"alpha","objects":[]}`+"`"+`), 0o644)
}`)
	pkg("beta", `func TestB(t *testing.T) { mark(t) }
func TestSkipped(t *testing.T) { t.Skip("probe says no") }`)
	pkg("gamma", `func TestG(t *testing.T) { mark(t); t.Fatal("want 1, got 2") }`)

	run := func(fresh bool) (*report.Kernel, []string) {
		t.Helper()
		require.NoError(t, os.RemoveAll(ran))
		m, err := Run(context.Background(), Options{
			Root: root, Manifest: filepath.Join(root, "kernels/manifest"), LockPath: filepath.Join(root, "kernels/lock.json"),
			WorkDir: t.TempDir(), Host: host.New(time.Minute), Backend: "qemu", CacheDir: cache, Fresh: fresh,
			NewBackend: func(string, string) (vm.Backend, error) { return nil, errors.New("no VM needed for host") },
		})
		require.NoError(t, err)
		require.Len(t, m.Kernels, 1)
		data, _ := os.ReadFile(ran)
		return &m.Kernels[0], strings.Fields(string(data))
	}
	cached := func(k *report.Kernel) map[string]bool {
		out := map[string]bool{}
		for _, tc := range k.Tests {
			out[tc.Package+" "+tc.Name] = tc.Cached
		}
		return out
	}

	k, ranNow := run(false)
	assert.ElementsMatch(t, []string{"alpha", "beta", "gamma"}, ranNow, "cold: everything runs")
	assert.Zero(t, k.CachedCount())

	k, ranNow = run(false)
	assert.Equal(t, []string{"gamma"}, ranNow, "warm: only the failing package reruns")
	assert.Equal(t, map[string]bool{
		"scenarios/alpha TestA": true, "scenarios/beta TestB": true, "scenarios/beta TestSkipped": true,
		"scenarios/gamma TestG": false,
	}, cached(k))
	p, f, s := k.Counts()
	assert.Equal(t, []int{2, 1, 1}, []int{p, f, s}, "cached results count as what they were")
	require.NotNil(t, k.LoadReport, "the cached writer's artifact is restored")
	assert.Equal(t, "alpha", k.LoadReport.Kernel)

	pkg("beta", `func TestB(t *testing.T) { mark(t) }
func TestSkipped(t *testing.T) { t.Skip("probe still says no") }`)
	k, ranNow = run(false)
	assert.ElementsMatch(t, []string{"beta", "gamma"}, ranNow, "a changed package reruns, the unchanged one does not")
	assert.True(t, cached(k)["scenarios/alpha TestA"])
	assert.False(t, cached(k)["scenarios/beta TestB"])

	k, ranNow = run(true)
	assert.ElementsMatch(t, []string{"alpha", "beta", "gamma"}, ranNow, "--fresh runs everything")
	assert.Zero(t, k.CachedCount())
}
