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

	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/mutate"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
	"github.com/bpflab/bpflab/internal/vm/qemu"
	"github.com/bpflab/bpflab/internal/vm/vng"
)

func runMutate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: bpflab mutate [flags] DIR... (package directories with bpf2go go:generate lines)")
		fs.PrintDefaults()
	}
	kernels := fs.String("kernels", mutate.HostKernel, "comma-separated kernels: host (go test here) and/or manifest names (VMs)")
	pkgs := fs.String("pkg", "", "comma-separated test packages relative to the module root, e.g. ./scenarios/xdp (default: the DIRs)")
	jobs := fs.Int("j", 2, "mutants in parallel")
	timeout := fs.Duration("timeout", 10*time.Minute, "deadline per mutant and kernel for the tests")
	only := fs.String("only", "", "comma-separated mutant IDs to run (from --list or a report)")
	ops := fs.String("operators", "", "comma-separated operators (default all): "+strings.Join(mutate.Operators, ","))
	run := fs.String("run", "", "run only tests matching `REGEX` (go test -run)")
	list := fs.Bool("list", false, "list the mutants with their diffs and exit")
	jsonOut := fs.String("json", "", "write the report as JSON to `FILE`")
	baseline := fs.String("baseline", "", "compare scores with an earlier --json `FILE`")
	cc := fs.String("cc", "", "C compiler for bpf2go and the AST (default clang-19, else clang)")
	workDir := fs.String("workdir", "", "keep the scratch trees here (default: a temporary dir, removed)")
	backendName := fs.String("backend", defaultBackend, "backend for non-host kernels: qemu or vng")
	minScore := fs.Float64("min-score", 0, "exit 1 when a program's score on a kernel is below this `PERCENT` (a CI gate)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return usageError{"name the package directories to mutate, e.g. bpflab mutate --pkg ./scenarios/xdp bpf/firewall"}
	}
	if *jobs < 1 || *timeout <= 0 {
		return usageError{"-j must be at least 1 and --timeout positive"}
	}
	if *minScore < 0 || *minScore > 100 {
		return usageError{fmt.Sprintf("--min-score %g: want a percentage from 0 to 100", *minScore)}
	}
	if *backendName != "qemu" && *backendName != "vng" {
		return usageError{fmt.Sprintf("--backend %q: want qemu or vng", *backendName)}
	}
	var base *mutate.Report
	if *baseline != "" {
		var err error
		if base, err = mutate.ReadReport(*baseline); err != nil {
			return usageError{err.Error()}
		}
	}
	root, err := mutate.ModuleRoot(ctx, ".")
	if err != nil {
		return usageError{err.Error()}
	}
	var dirs []string
	for _, d := range fs.Args() {
		if _, err := os.Stat(d); err != nil {
			return usageError{fmt.Sprintf("%s: %v", d, err)}
		}
		dirs = append(dirs, filepath.Clean(d))
	}
	packages := splitList(*pkgs)
	if len(packages) == 0 {
		for _, d := range dirs {
			packages = append(packages, "./"+filepath.ToSlash(d))
		}
	}
	if *workDir != "" {
		if *workDir, err = filepath.Abs(*workDir); err != nil {
			return err
		}
	}
	opts := mutate.Options{
		Root: root, Dirs: dirs, Packages: packages, Kernels: splitList(*kernels), Run: *run,
		Only: splitList(*only), Operators: splitList(*ops), Jobs: *jobs, Timeout: *timeout,
		CC: *cc, WorkDir: *workDir, Log: os.Stderr, Command: "bpflab mutate",
	}
	manifest := filepath.Join(root, "kernels", "manifest")
	opts.VM = mutate.MatrixRunner(matrix.Options{
		Manifest: manifest, LockPath: filepath.Join(root, "kernels", "lock.json"),
		Backend: *backendName, DefaultBackend: defaultBackend, Progress: matrix.NewLines(os.Stderr),
		Host: host.New(*timeout + time.Minute),
		NewBackend: func(name, runner string) (vm.Backend, error) {
			if name == "vng" {
				if err := vng.Available(); err != nil {
					return nil, err
				}
				return vng.New(runner), nil
			}
			return &qemu.Backend{GuestBinary: runner}, nil
		},
	})

	if *list {
		_, muts, err := mutate.List(ctx, opts)
		if err != nil {
			return listError(err)
		}
		for _, m := range muts {
			fmt.Printf("%s  %s:%d  %s  %s\n%s\n", m.ID, m.File, m.Line, m.Operator, m.Change(), m.Diff())
		}
		fmt.Printf("%d mutants\n", len(muts))
		return nil
	}
	rep, err := mutate.Run(ctx, opts)
	if err != nil && rep == nil {
		return listError(err)
	}
	rep.WriteTable(os.Stdout)
	if base != nil {
		fmt.Println()
		rep.WriteComparison(os.Stdout, base)
	}
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			return fmt.Errorf("write %s: %w", *jsonOut, err)
		}
	}
	if err != nil {
		return err
	}
	var low []string
	for _, s := range rep.Scores {
		if s.Percent < *minScore {
			low = append(low, fmt.Sprintf("%s on %s: %.1f%%", s.Program, s.Kernel, s.Percent))
		}
	}
	if len(low) > 0 {
		return fmt.Errorf("score below --min-score %g%%: %s", *minScore, strings.Join(low, ", "))
	}
	return nil
}

// listError makes bad selections usage errors (exit 2).
func listError(err error) error {
	var ue *mutate.UnknownError
	var ie *mutate.InputError
	if errors.As(err, &ue) || errors.As(err, &ie) {
		return usageError{err.Error()}
	}
	return err
}
