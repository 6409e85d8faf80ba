package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/mutate"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
	"github.com/bpflab/bpflab/internal/vm/qemu"
	"github.com/bpflab/bpflab/internal/vm/vng"
)

const mutateUsage = `usage: bpflab mutate [flags] DIR...

Plants realistic bugs (mutants) in the BPF C of each package directory with
bpf2go go:generate lines, rebuilds and signs each with a throwaway key,
runs the tests on the chosen kernels and reports which mutants the tests
let through, with a diff and a rerun line for every survivor.
`

func runMutate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("mutate", mutateUsage, stdout)
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
	operands, err := fs.ParseInterleaved(args)
	if err != nil {
		return err
	}
	if len(operands) == 0 {
		return command.Usagef("name the package directories to mutate, e.g. bpflab mutate --pkg ./scenarios/xdp bpf/firewall")
	}
	if *jobs < 1 || *timeout <= 0 {
		return command.Usagef("-j must be at least 1 and --timeout positive")
	}
	if *minScore < 0 || *minScore > 100 {
		return command.Usagef("--min-score %g: want a percentage from 0 to 100", *minScore)
	}
	if *backendName != "qemu" && *backendName != "vng" {
		return command.Usagef("--backend %q: want qemu or vng", *backendName)
	}
	var base *mutate.Report
	if *baseline != "" {
		if base, err = mutate.ReadReport(*baseline); err != nil {
			return command.AsUsage(err)
		}
	}
	root, err := mutate.ModuleRoot(ctx, ".")
	if err != nil {
		return command.AsUsage(err)
	}
	var dirs []string
	for _, d := range operands {
		if _, err := os.Stat(d); err != nil {
			return command.Usagef("%s: %w", d, err)
		}
		dirs = append(dirs, filepath.Clean(d))
	}
	packages := command.SplitList(*pkgs)
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
		Root: root, Dirs: dirs, Packages: packages, Kernels: command.SplitList(*kernels), Run: *run,
		Only: command.SplitList(*only), Operators: command.SplitList(*ops), Jobs: *jobs, Timeout: *timeout,
		CC: *cc, WorkDir: *workDir, Log: stderr, Command: "bpflab mutate",
	}
	// The manifest: the module's kernels/manifest, else bpflab's built-in
	// kernels (matrix.Options leaves it to kernel.OpenSource). Every mutant
	// runs afresh: a cached pass would hide what the mutant does.
	opts.VM = mutate.MatrixRunner(matrix.Options{
		Fresh: true, Tools: vm.FindTools("bpftool"),
		Backend: *backendName, DefaultBackend: defaultBackend, Progress: matrix.NewLines(stderr),
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
			fmt.Fprintf(stdout, "%s  %s:%d  %s  %s\n%s\n", m.ID, m.File, m.Line, m.Operator, m.Change(), m.Diff())
		}
		fmt.Fprintf(stdout, "%d mutants\n", len(muts))
		return nil
	}
	rep, err := mutate.Run(ctx, opts)
	if err != nil && rep == nil {
		return listError(err)
	}
	rep.WriteTable(stdout)
	if base != nil {
		fmt.Fprintln(stdout)
		rep.WriteComparison(stdout, base)
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
		return command.AsUsage(err)
	}
	return err
}
