package matrix

import (
	"bufio"
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
)

// BenchPackage holds the benchmarks `bpflab matrix --bench` runs in every
// kernel instead of the scenarios (see internal/benchsuite).
const BenchPackage = "internal/benchsuite"

// packages are the packages the run builds: the scenarios, or with
// Options.Bench the benchmark suite alone.
func packages(ctx context.Context, o Options) ([]Package, error) {
	if o.Bench != "" {
		return Discover(ctx, o.Root, []string{"./" + BenchPackage})
	}
	return Discover(ctx, o.Root, o.Packages)
}

// tools are the host tools carried into VMs: Options.Tools (bpftool for
// the interop scenario), and nft for the benchmark that compares XDP with
// nftables.
func tools(o Options) []string {
	if o.Bench != "" {
		return append(slices.Clone(o.Tools), vm.FindTools("nft")...)
	}
	return o.Tools
}

// modules are loaded before the binaries: veth for the topologies, and
// for benchmarks nf_tables (with nfnetlink) for the nftables side, with
// what the kernel would otherwise request by alias, which a guest cannot
// autoload: the crc32c provider libcrc32c asks the crypto API for
// (crc32c_generic up to 6.x, crc32c-cryptoapi in 7.x) and the counter
// expression and object reference where they are modules (5.10). Each is
// taken only where the kernel has it as a module file; the host's
// modprobe finds all that itself.
func modules(o Options, k *vm.Kernel) []string {
	if o.Bench == "" {
		return []string{"veth"}
	}
	mods := []string{"veth"}
	optional := func(dir string, names ...string) {
		if k == nil || k.ModulesDir == "" {
			return
		}
		for _, name := range names {
			if m, _ := filepath.Glob(filepath.Join(k.ModulesDir, "kernel", dir, name+".ko*")); len(m) > 0 {
				mods = append(mods, name)
				return
			}
		}
	}
	optional("crypto", "crc32c_generic", "crc32c-cryptoapi")
	mods = append(mods, "nf_tables")
	optional("net/netfilter", "nft_counter")
	optional("net/netfilter", "nft_objref")
	return mods
}

// jobs are the binaries with their flags: tests, or benchmarks (no tests,
// each benchmark once: the suite repeats its own rounds and writes its
// figures as artifacts).
func jobs(o Options, built *Built) []vm.Binary {
	if o.Bench == "" {
		return built.Jobs(o.Run, o.BinaryTimeout)
	}
	var bins []vm.Binary
	for _, bin := range built.Binaries {
		bin.Args = []string{"-test.v", "-test.run=^$", "-test.bench=" + o.Bench, "-test.benchtime=1x",
			"-test.timeout=" + o.BinaryTimeout.String()}
		bins = append(bins, bin)
	}
	return bins
}

var (
	benchDone = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+\d+(?:\.\d+)? ns/op`)
	benchFail = regexp.MustCompile(`^\s*--- (FAIL|SKIP): (Benchmark\S+?)(?:-\d+)?(?: \(|$)`)
)

// benchTests turns benchmark output into tests, one per benchmark: passed
// when it printed its result line, failed or skipped as its "---" line
// says (go test prints no "--- PASS" for benchmarks).
func benchTests(run *vm.Run) []report.Test {
	if run == nil {
		return nil
	}
	var tests []report.Test
	for _, r := range run.Results {
		sc := bufio.NewScanner(bytes.NewReader(r.Output))
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if m := benchDone.FindStringSubmatch(line); m != nil {
				tests = append(tests, report.Test{Package: r.Name, Name: m[1], Status: report.Pass})
			} else if m := benchFail.FindStringSubmatch(line); m != nil {
				st := report.Fail
				if m[1] == "SKIP" {
					st = report.Skip
				}
				tests = append(tests, report.Test{Package: r.Name, Name: m[2], Status: st, Reason: line, Output: string(r.Output)})
			}
		}
	}
	return tests
}

// addBenchTests adds the benchmarks' outcomes to k, except those the go
// test parser already reported (a failure with its duration).
func addBenchTests(k *report.Kernel, run *vm.Run) {
	seen := map[string]bool{}
	for _, t := range k.Tests {
		seen[t.Package+" "+t.Name] = true
	}
	for _, t := range benchTests(run) {
		if !seen[t.Package+" "+t.Name] {
			k.Tests = append(k.Tests, t)
		}
	}
}
