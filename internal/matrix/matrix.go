package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/bpflab/bpflab/harness/artifacts"
	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/vm"
)

// Defaults for Options.
const (
	DefaultTimeout       = 20 * time.Minute // per kernel, boot included (TCG on a busy machine is slow)
	DefaultBinaryTimeout = 8 * time.Minute  // per test binary (-test.timeout)
)

// Options configure a matrix run.
type Options struct {
	Root string // root of the Go module under test
	// Manifest is the kernel manifest; empty means Root/kernels/manifest
	// if it exists, else bpflab's built-in one (kernel.OpenSource).
	Manifest string
	LockPath string   // lock file of Manifest (empty with Manifest: next to it)
	CacheDir string   // kernel cache ("" = store default)
	Kernels  []string // names from the manifest; empty = all
	Shard    Shard    // this machine's share of Kernels (zero = all)
	Packages []string // go package patterns; empty = DefaultPatterns
	// Runner is the static guest runner (bpflab itself); empty means
	// guest.RunnerBinary, resolved only when a kernel needs a VM.
	Runner string
	// Cover builds the test binaries with -cover and brings each
	// kernel's coverage files back with its artifacts (WriteCoverage).
	Cover bool
	// Custom, if set, replaces the go test packages: its binaries run on
	// every kernel instead (bpflab check runs itself this way).
	Custom  *Custom
	Run     string // -test.run regex; empty = all tests
	Backend string // backend for non-host kernels: "qemu" or "vng"
	// DefaultBackend is what --backend defaults to (for repro lines).
	DefaultBackend string
	Jobs           int           // kernels in parallel (default 1)
	Timeout        time.Duration // per kernel
	BinaryTimeout  time.Duration // per test binary
	// Tools are host executables carried into VMs (vm.Job.Tools); nil
	// means vm.FindTools("bpftool"), for the bpftool interop scenario.
	Tools    []string
	WorkDir  string   // builds, consoles, shared dirs (kept)
	Progress Progress // nil = quiet
	// NewBackend makes the backend named by Backend; the matrix calls it
	// once, with the path of the static guest runner.
	NewBackend func(name, runner string) (vm.Backend, error)
	// Host is the backend for the host kernel.
	Host vm.Backend
	// Count runs every test binary Count times per kernel (default 1);
	// with more, each test's verdicts are merged and flips reported.
	Count int
	// SplatAllowlist and Quarantine are policy files ("" = splat-allowlist
	// and quarantine next to Manifest; a missing file is empty).
	SplatAllowlist string
	Quarantine     string
	// Now is the date quarantine expiry is checked against (zero = now).
	Now time.Time
	// Fresh runs every binary without consulting the result cache
	// (passing runs are still stored). Set it for any run whose point is
	// to execute again (--fresh); --count N > 1 implies it.
	Fresh bool
	// Bench, when set, runs the benchmarks matching it (go test -bench)
	// of BenchPackage instead of the scenarios, never from the cache.
	Bench string
}

// Custom is a job other than go test packages.
type Custom struct {
	Binaries []vm.Binary
	Files    map[string]string // carried into guests (vm.Job.Files)
	// Parse turns one binary's output into test results.
	Parse func(binary string, output []byte, exitCode int) []report.Test
}

// Run executes the matrix and returns its report. The error is for
// failures before any kernel ran (bad manifest, unknown kernel or package,
// build tooling missing); test and kernel failures are in the report.
func Run(ctx context.Context, o Options) (*report.Matrix, error) {
	started := time.Now()
	o.defaults()
	m := &report.Matrix{Started: started, Backend: o.Backend, DefaultBackend: o.DefaultBackend}

	// 1. Read the manifest and check the requested kernels.
	store, entries, err := openStore(o)
	if err != nil {
		return nil, err
	}
	var pkgs []Package
	if o.Custom == nil {
		if pkgs, err = packages(ctx, o); err != nil {
			return nil, err
		}
	}
	pol, err := loadPolicy(o) // a bad, reason-less or expired entry stops here
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 { // e.g. a shard that got no kernel: nothing to build
		o.Progress.Note(fmt.Sprintf("shard %d/%d has no kernels: nothing to run", o.Shard.Index, o.Shard.Count))
		m.Kernels = []report.Kernel{}
		m.Duration = report.Duration(time.Since(started))
		return m, nil
	}
	if o.WorkDir == "" {
		if o.WorkDir, err = os.MkdirTemp("", "bpflab-matrix-"); err != nil {
			return nil, fmt.Errorf("create work dir: %w", err)
		}
	}
	o.Progress.Note("work dir " + o.WorkDir)
	binDir := filepath.Join(o.WorkDir, "bin")
	// The backend is checked (e.g. vng installed) before the slow build.
	var backend vm.Backend = o.Host
	if needsVM(entries) {
		if o.Runner == "" {
			if o.Runner, err = guest.RunnerBinary(ctx, store.CacheDir(), o.Progress.Writer()); err != nil {
				return nil, err
			}
		}
		if backend, err = o.NewBackend(o.Backend, o.Runner); err != nil {
			return nil, err
		}
	}
	// 2. Build the test binaries once, on the host (static: no libc in guests).
	built := &Built{}
	if o.Custom != nil {
		built.Binaries, built.Files = o.Custom.Binaries, o.Custom.Files
	} else {
		o.Progress.Note(fmt.Sprintf("building %d test packages in %s", len(pkgs), binDir))
		if built, err = Build(ctx, o.Root, binDir, pkgs, o.Cover); err != nil {
			return nil, err
		}
	}
	builds, err := buildForeign(ctx, o, store.CacheDir(), binDir, pkgs, entries)
	if err != nil {
		return nil, err
	}
	rc, err := openResults(o)
	if err != nil {
		return nil, err
	}
	// 3. Each kernel: fetch, boot/run, parse (Jobs at a time).
	m.Kernels = make([]report.Kernel, len(entries))
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			b := built
			if fb, ok := builds[e.GoArch()]; ok {
				b = fb
			}
			m.Kernels[i] = runKernel(ctx, o, store, e, backend, b, rc)
			pol.apply(&m.Kernels[i])
			o.Progress.KernelDone(&m.Kernels[i])
		}()
	}
	wg.Wait()
	if rc != nil {
		if err := rc.cache.Trim(); err != nil {
			o.Progress.Note(err.Error())
		}
	}
	m.Duration = report.Duration(time.Since(started))
	return m, nil
}

// runKernel is one column of the matrix.
func runKernel(ctx context.Context, o Options, store *kernel.Store, e kernel.Entry, backend vm.Backend, built *Built, rc *results) (k report.Kernel) {
	start := time.Now()
	k = report.Kernel{Name: e.Name, Suite: e.Suite, Backend: backend.Name()}
	defer func() { k.Duration = report.Duration(time.Since(start)) }()
	o.Progress.Phase(e.Name, "fetch")

	img, err := store.Ensure(ctx, e.Name)
	k.Phases = append(k.Phases, report.Phase{Name: "fetch", Duration: report.Duration(time.Since(start))})
	if err != nil {
		k.Error, k.ErrorPhase = err.Error(), "fetch"
		return k
	}
	k.Release = img.Release
	if img.Kernel != nil && img.Locked != nil {
		k.Arch, k.BTF, k.JIT = img.Kernel.GoArch(), img.BTFSource, img.JIT
	}
	if img.Locked != nil {
		k.Version = img.Locked.Version
		if len(img.Locked.Packages) > 0 {
			k.Package = img.Locked.Packages[0].Name
		}
	}
	b := backend
	if img.Kernel == nil {
		b = o.Host
	}
	k.Backend = b.Name()

	o.Progress.Phase(e.Name, "run")
	job := vm.Job{
		Kernel:   img.Kernel,
		Binaries: repeat(jobs(o, built), o.Count),
		Files:    built.Files,
		Modules:  modules(o, img.Kernel),
		Tools:    tools(o),
		Runner:   built.foreignRunner,
		WorkDir:  filepath.Join(o.WorkDir, "kernels", e.Name),
		Timeout:  o.Timeout,
		Stream:   func(bin string, line []byte) { o.Progress.Line(e.Name, bin, line) },
	}
	if err := os.MkdirAll(job.WorkDir, 0o755); err != nil {
		k.Error, k.ErrorPhase = fmt.Sprintf("create work dir: %v", err), "setup"
		return k
	}
	// Every backend leaves the scenarios' artifacts in WorkDir/artifacts:
	// on the host the binaries write there directly; guest runners set
	// their own $BPFLAB_ARTIFACTS and the backends bring the files back.
	artifactsDir := filepath.Join(job.WorkDir, "artifacts")
	if img.Kernel == nil {
		job.Env = append(job.Env, artifacts.Env+"="+artifactsDir)
		if o.Cover {
			if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
				k.Error, k.ErrorPhase = fmt.Sprintf("create artifacts dir: %v", err), "setup"
				return k
			}
			// A test binary writes coverage only where -test.gocoverdir says.
			bins := make([]vm.Binary, len(job.Binaries))
			for i, b := range job.Binaries {
				b.Args = append(append([]string(nil), b.Args...), "-test.gocoverdir="+artifactsDir)
				bins[i] = b
			}
			job.Binaries = bins
		}
	} else if o.Cover {
		job.Env = append(job.Env, guest.EnvCover+"=1")
	}
	parse := report.ParseTest2JSON // built.Jobs run binaries with -test.v=test2json
	if o.Custom != nil {
		job.Binaries, job.Files = o.Custom.Binaries, o.Custom.Files // also for a cross-built kernel
		parse = o.Custom.Parse
		if built.foreignRunner != "" { // bpflab running itself, built for this kernel's arch
			job.Binaries = slices.Clone(job.Binaries)
			for i := range job.Binaries {
				if job.Binaries[i].Path == o.Runner {
					job.Binaries[i].Path = built.foreignRunner
				}
			}
		}
	}
	if o.Bench != "" {
		parse = report.ParseGoTest // benchmarks run -test.v, not test2json
	}
	runner := o.Runner
	if built.foreignRunner != "" {
		runner = built.foreignRunner
	}
	cj, err := rc.lookup(&job, b.Name(), img, runner)
	if err != nil { // the cache is an optimisation: run everything
		o.Progress.Note(fmt.Sprintf("%s: result cache: %v", e.Name, err))
	}
	if cj != nil && cj.cached > 0 {
		o.Progress.Note(fmt.Sprintf("%s: %d of %d binaries cached", e.Name, cj.cached, cj.cached+len(job.Binaries)))
	}
	if len(job.Binaries) > 0 {
		run, err := b.Run(ctx, job)
		fillRun(&k, run, err, parse)
		if o.Bench != "" {
			addBenchTests(&k, run)
		}
		if err := rc.store(&k, run, err, cj, artifactsDir); err != nil {
			o.Progress.Note(fmt.Sprintf("%s: %v", e.Name, err))
		}
	}
	if cj != nil {
		k.Tests = append(k.Tests, cj.hits...)
		if err := restoreArtifacts(artifactsDir, cj.artifacts); err != nil {
			o.Progress.Note(err.Error())
		}
	}
	if err := report.CollectArtifacts(&k, artifactsDir); err != nil {
		o.Progress.Note(err.Error())
	}
	k.Tests = append(k.Tests, built.Broken...)
	return k
}

// fillRun copies a backend's run and error into the kernel's report.
func fillRun(k *report.Kernel, run *vm.Run, err error, parse func(string, []byte, int) []report.Test) {
	if run != nil {
		k.Accel = run.Accel
		k.Console = run.Console
		if run.Release != "" {
			k.Release = run.Release
		}
		for _, p := range run.Phases {
			k.Phases = append(k.Phases, report.Phase{Name: p.Name, Duration: report.Duration(p.Duration)})
		}
		k.Tests = append(k.Tests, parseRuns(run.Results, parse)...)
		k.Splats = report.ScanSplats(kernelLog(run))
	}
	if err != nil {
		k.Error, k.ErrorPhase = err.Error(), "run"
		var pe *vm.PhaseError
		if errors.As(err, &pe) {
			k.Error, k.ErrorPhase, k.ConsoleTail = pe.Err.Error(), pe.Phase, pe.ConsoleTail
		}
	}
}

func needsVM(entries []kernel.Entry) bool {
	for _, e := range entries {
		if e.Kind != kernel.KindHost {
			return true
		}
	}
	return false
}

func (o *Options) defaults() {
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BinaryTimeout == 0 {
		o.BinaryTimeout = DefaultBinaryTimeout
	}
	if o.Count < 1 {
		o.Count = 1
	}
	if o.Progress == nil {
		o.Progress = quiet{}
	}
	if o.Tools == nil {
		o.Tools = vm.FindTools(tools(*o)...)
	}
}

// openStore loads the manifest and lock and checks the requested kernels.
func openStore(o Options) (*kernel.Store, []kernel.Entry, error) {
	src, err := kernel.OpenSource(o.Manifest, o.Root)
	if err != nil {
		return nil, nil, err
	}
	if o.Manifest != "" && o.LockPath != "" {
		if src.Lock, err = kernel.LoadLock(o.LockPath); err != nil {
			return nil, nil, err
		}
		src.LockPath = o.LockPath
	}
	man, lock := src.Manifest, src.Lock
	names := o.Kernels
	if len(names) == 0 {
		names = man.Names()
	}
	for _, n := range names { // all checked, whichever shard runs them
		if _, err := man.Lookup(n); err != nil {
			return nil, nil, err
		}
	}
	var entries []kernel.Entry
	for _, n := range o.Shard.Pick(names) {
		e, _ := man.Lookup(n)
		entries = append(entries, e)
	}
	store, err := kernel.NewStore(kernel.Options{
		CacheDir: o.CacheDir, Manifest: man, Lock: lock, LockPath: src.LockPath, Log: o.Progress.Writer(),
	})
	if err != nil {
		return nil, nil, err
	}
	return store, entries, nil
}
