package mutate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/matrix"
)

// MatrixRunner runs mutants in VM kernels through the matrix: the scratch
// module's scenario packages are built as static test binaries (with the
// mutant's object embedded and only the throwaway key trusted) and run in
// the kernel exactly as `bpflab matrix --kernels K --pkg P` would. The
// template carries the manifest, cache and backend choices; Root, Kernels,
// Packages, Run, timeouts and WorkDir are set per call. The packages are go
// package patterns of the scratch module, as for `bpflab matrix`; the guest
// runner is this bpflab.
func MatrixRunner(template matrix.Options) VMRunner {
	return func(ctx context.Context, root, kernel string, pkgs []string, run string, timeout time.Duration) ([]report.Test, error) {
		o := template
		o.Root, o.Kernels, o.Run, o.Jobs = root, []string{kernel}, run, 1
		o.Packages = nil
		for _, p := range pkgs {
			o.Packages = append(o.Packages, strings.TrimPrefix(strings.TrimSuffix(p, "/..."), "./"))
		}
		o.Timeout, o.BinaryTimeout = timeout, timeout
		work, err := os.MkdirTemp(root, "matrix-")
		if err != nil {
			return nil, err
		}
		o.WorkDir = filepath.Join(work)
		ctx, cancel := context.WithTimeout(ctx, timeout+15*time.Minute) // + build and boot
		defer cancel()
		m, err := matrix.Run(ctx, o)
		if ctx.Err() == context.DeadlineExceeded {
			return nil, errTimeout
		}
		if err != nil {
			return nil, err
		}
		if len(m.Kernels) != 1 {
			return nil, fmt.Errorf("matrix ran %d kernels, want 1", len(m.Kernels))
		}
		k := m.Kernels[0]
		if k.Error != "" {
			if strings.Contains(k.Error, "deadline") || strings.Contains(k.Error, "timed out") {
				return k.Tests, errTimeout
			}
			if len(k.Tests) == 0 {
				return nil, errors.New(k.ErrorPhase + ": " + k.Error)
			}
		}
		return k.Tests, nil
	}
}
