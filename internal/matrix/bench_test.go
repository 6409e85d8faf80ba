package matrix

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
)

func TestBenchJobsAndTests(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	o := Options{Root: root, Bench: "Firewall", BinaryTimeout: 30 * time.Minute}
	pkgs, err := packages(context.Background(), o)
	require.NoError(t, err)
	require.Len(t, pkgs, 1)
	assert.Equal(t, BenchPackage, pkgs[0].Name)
	bins := jobs(o, &Built{Binaries: []vm.Binary{{Name: BenchPackage, Path: "/b/x.test"}}})
	require.Len(t, bins, 1)
	assert.Equal(t, []string{"-test.v", "-test.run=^$", "-test.bench=Firewall", "-test.benchtime=1x", "-test.timeout=30m0s"}, bins[0].Args)

	out := "goos: linux\nBenchmarkFirewall-2   \t       1\t42023200761 ns/op\n--- BENCH: BenchmarkFirewall-2\n" +
		"    suite_test.go:130: firewall v4 1M hit: 2.44x\n--- SKIP: BenchmarkTracer\n    exec chain: not x86-64\n" +
		"--- FAIL: BenchmarkPolicyUpdate-2\n    suite_test.go:9: boom\nBenchmarkNoSuffix \t 1\t 12.5 ns/op\nFAIL\n"
	k := report.Kernel{Tests: []report.Test{{Package: BenchPackage, Name: "BenchmarkPolicyUpdate", Status: report.Fail}}}
	addBenchTests(&k, &vm.Run{Results: []vm.Result{{Name: BenchPackage, Output: []byte(out), ExitCode: 1}}})
	got := map[string]report.Status{}
	for _, tc := range k.Tests {
		got[tc.Name] = tc.Status
	}
	assert.Equal(t, map[string]report.Status{
		"BenchmarkFirewall": report.Pass, "BenchmarkTracer": report.Skip,
		"BenchmarkPolicyUpdate": report.Fail, "BenchmarkNoSuffix": report.Pass,
	}, got)
	assert.Len(t, k.Tests, 4, "the failure the go test parser reported is not added twice")
}

func TestBenchModules(t *testing.T) {
	dir := t.TempDir()
	write(t, dir+"/kernel/crypto/crc32c_generic.ko.xz", "")
	write(t, dir+"/kernel/net/netfilter/nft_counter.ko", "")
	assert.Equal(t, []string{"veth"}, modules(Options{}, &vm.Kernel{ModulesDir: dir}))
	assert.Equal(t, []string{"veth", "crc32c_generic", "nf_tables", "nft_counter"}, modules(Options{Bench: "."}, &vm.Kernel{ModulesDir: dir}),
		"only the optional modules this kernel has as files")
	assert.Equal(t, []string{"veth", "nf_tables"}, modules(Options{Bench: "."}, nil), "the host's modprobe resolves them")
}
