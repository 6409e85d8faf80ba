package matrix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bpflab/bpflab/harness/report"
)

// Coverage is where WriteCoverage put the profiles.
type Coverage struct {
	Merged    string            // all kernels together
	PerKernel map[string]string // kernel name -> profile
}

// isCoverFile reports whether name is a file GOCOVERDIR collects.
func isCoverFile(name string) bool {
	return strings.HasPrefix(name, "covmeta.") || strings.HasPrefix(name, "covcounters.")
}

// WriteCoverage turns the coverage files each kernel brought back (test
// binaries built with -cover write them into GOCOVERDIR, which is the
// kernel's artifacts dir) into text profiles in dir: KERNEL.out per kernel
// and merged.out for all, with `go tool covdata textfmt`; the raw files stay
// in dir/raw/KERNEL (for go tool covdata percent, func, ...).
func WriteCoverage(ctx context.Context, dir string, m *report.Matrix) (*Coverage, error) {
	dir, err := filepath.Abs(dir) // go tool covdata runs in dir
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	cov := &Coverage{PerKernel: map[string]string{}}
	var inputs []string
	for _, k := range m.Kernels {
		raw := filepath.Join(dir, "raw", k.Name)
		n := 0
		for _, a := range k.Artifacts {
			if !isCoverFile(filepath.Base(a)) {
				continue
			}
			if err := copyFile(a, filepath.Join(raw, filepath.Base(a))); err != nil {
				return nil, fmt.Errorf("coverage of kernel %s: %w", k.Name, err)
			}
			n++
		}
		if n == 0 {
			continue // the kernel did not run (or no binary was built with -cover)
		}
		out := filepath.Join(dir, k.Name+".out")
		if o, err := goCmd(ctx, dir, nil, "tool", "covdata", "textfmt", "-i="+raw, "-o="+out); err != nil {
			return nil, fmt.Errorf("coverage of kernel %s: go tool covdata: %w\n%s", k.Name, err, o)
		}
		cov.PerKernel[k.Name] = out
		inputs = append(inputs, raw)
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("coverage: no kernel brought coverage data back")
	}
	cov.Merged = filepath.Join(dir, "merged.out")
	if o, err := goCmd(ctx, dir, nil, "tool", "covdata", "textfmt", "-i="+strings.Join(inputs, ","), "-o="+cov.Merged); err != nil {
		return nil, fmt.Errorf("coverage: merge: go tool covdata: %w\n%s", err, o)
	}
	return cov, nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
