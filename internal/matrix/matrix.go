package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bpflab/bpflab/harness/loadreport"
	"github.com/bpflab/bpflab/harness/report"
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
	Root     string   // repository root (the module with scenarios/)
	Manifest string   // kernels/manifest
	LockPath string   // kernels/lock.json
	CacheDir string   // kernel cache ("" = store default)
	Kernels  []string // names from the manifest; empty = all
	Shard    Shard    // this machine's share of Kernels (zero = all)
	Packages []string // "scenarios/x"; empty = all under scenarios/
	Run      string   // -test.run regex; empty = all tests
	Backend  string   // backend for non-host kernels: "qemu" or "vng"
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
	// once, with the path of the built guest runner.
	NewBackend func(name, runner string) (vm.Backend, error)
	// Host is the backend for the host kernel.
	Host vm.Backend
	// Fresh runs every binary without consulting the result cache
	// (passing runs are still stored). Set it for any run whose point is
	// to execute again (--fresh, repeated runs).
	Fresh bool
	// Bench, when set, runs the benchmarks matching it (go test -bench)
	// of BenchPackage instead of the scenarios, never from the cache.
	Bench string
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
	pkgs, err := packages(o)
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
		if backend, err = o.NewBackend(o.Backend, filepath.Join(binDir, RunnerName)); err != nil {
			return nil, err
		}
	}
	// 2. Build the scenario binaries and the guest runner once, on the host.
	o.Progress.Note(fmt.Sprintf("building %d scenario packages and the guest runner in %s", len(pkgs), binDir))
	built, err := Build(ctx, o.Root, binDir, pkgs)
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
			m.Kernels[i] = runKernel(ctx, o, store, e, backend, built, rc)
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
		Binaries: jobs(o, built),
		Modules:  modules(o, img.Kernel),
		Tools:    o.Tools,
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
	artifacts := filepath.Join(job.WorkDir, "artifacts")
	if img.Kernel == nil {
		job.Env = append(job.Env, loadreport.EnvArtifacts+"="+artifacts)
	}
	cj, err := rc.lookup(&job, b.Name(), img, built.Runner)
	if err != nil { // the cache is an optimisation: run everything
		o.Progress.Note(fmt.Sprintf("%s: result cache: %v", e.Name, err))
	}
	if cj != nil && cj.cached > 0 {
		o.Progress.Note(fmt.Sprintf("%s: %d of %d binaries cached", e.Name, cj.cached, cj.cached+len(job.Binaries)))
	}
	if len(job.Binaries) > 0 {
		run, err := b.Run(ctx, job)
		fillRun(&k, run, err)
		if o.Bench != "" {
			addBenchTests(&k, run)
		}
		if err := rc.store(&k, run, err, cj, artifacts); err != nil {
			o.Progress.Note(fmt.Sprintf("%s: %v", e.Name, err))
		}
	}
	if cj != nil {
		k.Tests = append(k.Tests, cj.hits...)
		if err := restoreArtifacts(artifacts, cj.artifacts); err != nil {
			o.Progress.Note(err.Error())
		}
	}
	if err := report.CollectArtifacts(&k, artifacts); err != nil {
		o.Progress.Note(err.Error())
	}
	k.Tests = append(k.Tests, built.Broken...)
	return k
}

// fillRun copies a backend's run and error into the kernel's report.
func fillRun(k *report.Kernel, run *vm.Run, err error) {
	if run != nil {
		k.Accel = run.Accel
		k.Console = run.Console
		if run.Release != "" {
			k.Release = run.Release
		}
		for _, p := range run.Phases {
			k.Phases = append(k.Phases, report.Phase{Name: p.Name, Duration: report.Duration(p.Duration)})
		}
		for _, r := range run.Results {
			k.Tests = append(k.Tests, report.ParseGoTest(r.Binary, r.Output, r.ExitCode)...)
		}
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
	if o.Progress == nil {
		o.Progress = quiet{}
	}
	if o.Tools == nil {
		o.Tools = vm.FindTools(tools(*o)...)
	}
}

// openStore loads the manifest and lock and checks the requested kernels.
func openStore(o Options) (*kernel.Store, []kernel.Entry, error) {
	man, err := kernel.LoadManifest(o.Manifest)
	if err != nil {
		return nil, nil, err
	}
	lock, err := kernel.LoadLock(o.LockPath)
	if err != nil {
		return nil, nil, err
	}
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
		CacheDir: o.CacheDir, Manifest: man, Lock: lock, LockPath: o.LockPath, Log: o.Progress.Writer(),
	})
	if err != nil {
		return nil, nil, err
	}
	return store, entries, nil
}
