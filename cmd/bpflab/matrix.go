package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/bpflab/bpflab/internal/benchsuite"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
	"github.com/bpflab/bpflab/internal/vm/qemu"
	"github.com/bpflab/bpflab/internal/vm/vng"
)

// defaultBackend boots non-host kernels unless --backend says otherwise.
const defaultBackend = "qemu"

func runMatrix(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	kernels := fs.String("kernels", "", "comma-separated kernel names from the manifest (default: all)")
	backendName := fs.String("backend", defaultBackend, "backend for non-host kernels: qemu or vng")
	jobs := fs.Int("j", 1, "kernels to run in parallel")
	var out outputs
	out.flags(fs)
	shard := fs.String("shard", "", "run only this machine's share `I/N` of the kernels (stable by name)")
	timeout := fs.Duration("timeout", matrix.DefaultTimeout, "deadline per kernel, boot included")
	binTimeout := fs.Duration("binary-timeout", matrix.DefaultBinaryTimeout, "deadline per test binary (-test.timeout)")
	run := fs.String("run", "", "run only tests matching `REGEX` (go test -run)")
	pkgs := fs.String("pkg", "", "comma-separated scenario packages, e.g. scenarios/xdp (default: all)")
	manifest := fs.String("manifest", "", "kernel manifest (default kernels/manifest of the repository)")
	cache := fs.String("cache", "", "kernel cache dir (default $"+kernel.EnvCache+", $XDG_CACHE_HOME/bpflab or ~/.cache/bpflab)")
	fresh := fs.Bool("fresh", false, "run every test binary, ignoring cached passing results")
	bench := fs.String("bench", "", "run the benchmarks matching `REGEX` (internal/benchsuite) instead of the scenarios")
	benchJSON := fs.String("bench-json", "", "with --bench, write the figures per kernel to `FILE`")
	workDir := fs.String("workdir", "", "keep builds and console logs here (default: a new temporary dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q (kernels go in --kernels a,b)", fs.Args())}
	}
	if *backendName != "qemu" && *backendName != "vng" {
		return usageError{fmt.Sprintf("--backend %q: want qemu or vng", *backendName)}
	}
	if *jobs < 1 {
		return usageError{fmt.Sprintf("-j %d: want at least 1", *jobs)}
	}
	if *timeout <= 0 || *binTimeout <= 0 {
		return usageError{"--timeout and --binary-timeout must be positive"}
	}
	var sh matrix.Shard
	if *shard != "" {
		var err error
		if sh, err = matrix.ParseShard(*shard); err != nil {
			return usageError{"--shard: " + err.Error()}
		}
	}
	baseline, err := out.readBaseline()
	if err != nil {
		return err
	}

	goMod, err := findUp("go.mod")
	if err != nil {
		return usageError{fmt.Sprintf("%v: run bpflab matrix inside the bpflab repository (it builds the scenarios)", err)}
	}
	root := filepath.Dir(goMod)
	if *manifest == "" {
		*manifest = filepath.Join(root, "kernels", "manifest")
	}
	if *workDir != "" { // else the matrix makes a temporary one once the inputs are checked
		if *workDir, err = filepath.Abs(*workDir); err != nil {
			return err
		}
	}

	names := splitList(*kernels)
	var progress matrix.Progress = matrix.NewLines(os.Stderr)
	if term.IsTerminal(int(os.Stderr.Fd())) {
		n := len(names)
		if n == 0 {
			n = -1 // unknown yet: the bar shows a spinner
		}
		progress = matrix.NewBars(os.Stderr, n)
	}

	opts := matrix.Options{
		Root: root, Manifest: *manifest, LockPath: filepath.Join(filepath.Dir(*manifest), "lock.json"),
		CacheDir: *cache, Kernels: names, Shard: sh, Packages: splitList(*pkgs), Run: *run,
		Backend: *backendName, DefaultBackend: defaultBackend,
		Jobs: *jobs, Timeout: *timeout, BinaryTimeout: *binTimeout, WorkDir: *workDir, Progress: progress,
		Fresh: *fresh, Bench: *bench,
		Host: host.New(*binTimeout + time.Minute),
		NewBackend: func(name, runner string) (vm.Backend, error) {
			if name == "vng" {
				if err := vng.Available(); err != nil {
					return nil, err
				}
				return vng.New(runner), nil
			}
			return &qemu.Backend{GuestBinary: runner, Log: func(f string, a ...any) { progress.Note(fmt.Sprintf(f, a...)) }}, nil
		},
	}
	m, err := matrix.Run(ctx, opts)
	var uk *kernel.UnknownKernelError
	var up *matrix.UnknownPackageError
	switch {
	case errors.As(err, &uk), errors.As(err, &up):
		return usageError{err.Error()}
	case err != nil:
		return err
	}

	m.DefaultBackend = defaultBackend
	err = out.finish(m, baseline)
	if *bench != "" {
		if berr := benchsuite.Report(os.Stdout, m, *benchJSON); berr != nil {
			return errors.Join(err, berr)
		}
	}
	return err
}

// splitList splits a comma-separated flag value, dropping blanks ("" is the
// empty list).
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
