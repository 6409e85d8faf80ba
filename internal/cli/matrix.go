package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/benchsuite"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
	"github.com/bpflab/bpflab/internal/vm/qemu"
	"github.com/bpflab/bpflab/internal/vm/vng"
)

// defaultBackend boots non-host kernels unless --backend says otherwise.
const defaultBackend = "qemu"

func runMatrix(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("matrix", "usage: bpflab matrix [flags] [PACKAGES]\n\nRuns the go test packages (patterns as for go test; default ./..., or\n./scenarios/... in bpflab) of the Go module in the working directory on\nevery kernel of the manifest.\n", stdout)
	kernels := fs.String("kernels", "", "comma-separated kernel names from the manifest (default: all)")
	backendName := fs.String("backend", defaultBackend, "backend for non-host kernels: qemu or vng")
	jobs := fs.Int("j", 1, "kernels to run in parallel")
	var out outputs
	out.flags(fs.FlagSet)
	shard := fs.String("shard", "", "run only this machine's share `I/N` of the kernels (stable by name)")
	timeout := fs.Duration("timeout", matrix.DefaultTimeout, "deadline per kernel, boot included")
	binTimeout := fs.Duration("binary-timeout", matrix.DefaultBinaryTimeout, "deadline per test binary (-test.timeout)")
	run := fs.String("run", "", "run only tests matching `REGEX` (go test -run)")
	pkgs := fs.String("pkg", "", "comma-separated packages, as the PACKAGES arguments")
	manifest := fs.String("manifest", "", "kernel manifest (default: kernels/manifest of the module if any, else the built-in one)")
	cache := fs.String("cache", "", "kernel cache dir (default $"+kernel.EnvCache+", $XDG_CACHE_HOME/bpflab or ~/.cache/bpflab)")
	fresh := fs.Bool("fresh", false, "run every test binary, ignoring cached passing results")
	bench := fs.String("bench", "", "run the benchmarks matching `REGEX` (internal/benchsuite) instead of the scenarios")
	benchJSON := fs.String("bench-json", "", "with --bench, write the figures per kernel to `FILE`")
	workDir := fs.String("workdir", "", "keep builds and console logs here (default: a new temporary dir)")
	tools := fs.String("tools", "bpftool", "comma-separated host programs to carry into the VMs with their shared libraries, if found (e.g. bpftool,/bin/bash)")
	cover := fs.String("cover", "", "build with -cover and write coverage profiles into `DIR`: KERNEL.out per kernel and merged.out")
	count := fs.Int("count", 1, "run every test `N` times per kernel and report tests whose verdict changed (kernels/quarantine lists known-flaky ones)")
	// Flags may follow the packages (PACKAGES are go package patterns).
	patterns, err := fs.ParseInterleaved(args)
	if err != nil {
		return err
	}
	patterns = append(command.SplitList(*pkgs), patterns...)
	if *backendName != "qemu" && *backendName != "vng" {
		return command.Usagef("--backend %q: want qemu or vng", *backendName)
	}
	if *jobs < 1 {
		return command.Usagef("-j %d: want at least 1", *jobs)
	}
	if *count < 1 {
		return command.Usagef("--count %d: want at least 1", *count)
	}
	if *timeout <= 0 || *binTimeout <= 0 {
		return command.Usagef("--timeout and --binary-timeout must be positive")
	}
	var sh matrix.Shard
	if *shard != "" {
		if sh, err = matrix.ParseShard(*shard); err != nil {
			return command.Usagef("--shard: %w", err)
		}
	}
	baseline, err := out.readBaseline()
	if err != nil {
		return err
	}

	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := matrix.ModuleRoot(ctx, wd)
	if err != nil {
		return command.AsUsage(err)
	}
	if *workDir != "" { // else the matrix makes a temporary one once the inputs are checked
		if *workDir, err = filepath.Abs(*workDir); err != nil {
			return err
		}
	}

	names := command.SplitList(*kernels)
	var progress matrix.Progress = matrix.NewLines(stderr)
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		n := len(names)
		if n == 0 {
			n = -1 // unknown yet: the bar shows a spinner
		}
		progress = matrix.NewBars(f, n)
	}

	opts := matrix.Options{
		Root: root, Manifest: *manifest,
		CacheDir: *cache, Kernels: names, Shard: sh, Packages: patterns, Run: *run,
		Backend: *backendName, DefaultBackend: defaultBackend,
		Tools: vm.FindTools(command.SplitList(*tools)...), Cover: *cover != "", Count: *count,
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
		return command.AsUsage(err)
	case err != nil:
		return err
	}

	m.DefaultBackend = defaultBackend
	if *cover != "" {
		cov, err := matrix.WriteCoverage(ctx, *cover, m)
		if err != nil {
			progress.Note(err.Error())
		} else {
			progress.Note(fmt.Sprintf("coverage: %s (all kernels), %d per kernel in %s", cov.Merged, len(cov.PerKernel), *cover))
		}
	}
	err = out.finish(m, baseline, stdout, stderr)
	if *bench != "" {
		if berr := benchsuite.Report(stdout, m, *benchJSON); berr != nil {
			err = errors.Join(err, berr)
		}
	}
	if *count > 1 {
		if werr := report.WriteFlips(stdout, m, *count); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
