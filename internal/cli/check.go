package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bpflab/bpflab/internal/check"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
	"github.com/bpflab/bpflab/internal/vm/qemu"
)

const checkUsage = `usage: bpflab check [flags] OBJECT.o...

Loads every map and program of each BPF ELF object on every kernel of the
manifest (built-in, kernels/manifest here, or --manifest), attaches what
needs no outside set-up, and prints a kernel x program table. Failures
carry a stable code: UNSUPPORTED_MAP_TYPE, UNSUPPORTED_PROG_TYPE,
UNSUPPORTED_ATTACH_TYPE, MISSING_HELPER, CORE_RELOCATION_FAILED,
MISSING_KERNEL_BTF, MISSING_MAP, VERIFIER_REJECTED (log tail kept),
PERMISSION, ATTACH_FAILED, WRONG_BYTE_ORDER, LOAD_FAILED, INVALID_OBJECT. With --baseline
only regressions fail the run.
`

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("check", checkUsage, stdout)
	local := fs.Bool(check.LocalFlag[2:], false, "check the running kernel only and print result lines (what runs inside each kernel)")
	kernels := fs.String("kernels", "", "comma-separated kernel names from the manifest (default: all)")
	jobs := fs.Int("j", 1, "kernels to run in parallel")
	manifest := fs.String("manifest", "", "kernel manifest (default: kernels/manifest here if any, else the built-in one)")
	cache := fs.String("cache", "", "kernel cache dir (default $"+kernel.EnvCache+", else the user cache)")
	timeout := fs.Duration("timeout", 10*time.Minute, "deadline per kernel, boot included")
	var out outputs
	out.flags(fs.FlagSet)
	objects, err := fs.ParseInterleaved(args)
	if err != nil {
		return err
	}
	if len(objects) == 0 {
		return command.Usagef("missing OBJECT.o (see bpflab check -h)")
	}
	if *local {
		return check.Local(stdout, objects)
	}
	for _, o := range objects {
		if _, err := os.Stat(o); err != nil {
			return command.Usagef("object: %w", err)
		}
	}
	baseline, err := out.readBaseline()
	if err != nil {
		return err
	}
	cacheDir := *cache
	if cacheDir == "" {
		if cacheDir, err = kernel.DefaultCacheDir(); err != nil {
			return err
		}
	}
	// The same static bpflab runs the check in every kernel, the host too.
	runner, err := guest.RunnerBinary(ctx, cacheDir, stderr)
	if err != nil {
		return err
	}
	job, err := check.Job(runner, objects)
	if err != nil {
		return command.AsUsage(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	progress := matrix.NewLines(stderr)
	m, err := matrix.Run(ctx, matrix.Options{
		Root: wd, Manifest: *manifest, CacheDir: cacheDir, Kernels: command.SplitList(*kernels), Custom: job, Runner: runner,
		Backend: "qemu", DefaultBackend: "qemu", Jobs: *jobs, Timeout: *timeout, Progress: progress, Tools: []string{},
		Host: host.New(*timeout),
		NewBackend: func(_, runner string) (vm.Backend, error) {
			return &qemu.Backend{GuestBinary: runner, CacheDir: cacheDir, Log: func(f string, a ...any) { progress.Note(fmt.Sprintf(f, a...)) }}, nil
		},
	})
	var uk *kernel.UnknownKernelError
	switch {
	case errors.As(err, &uk):
		return command.AsUsage(err)
	case err != nil:
		return err
	}
	m.Tool = "check"
	out.regressionsOnly = true
	return out.finish(m, baseline, stdout, stderr)
}
