package matrix

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/kernel"
)

// buildForeign cross-builds the scenario binaries and the guest runner for
// every architecture among entries other than the host's, each into
// binDir/<arch>. The host's own architecture uses the main build.
func buildForeign(ctx context.Context, o Options, cacheDir, binDir string, pkgs []Package, entries []kernel.Entry) (map[string]*Built, error) {
	need := map[string]bool{}
	for _, e := range entries {
		if e.Kind != kernel.KindHost && e.GoArch() != runtime.GOARCH {
			need[e.GoArch()] = true
		}
	}
	arches := make([]string, 0, len(need))
	for a := range need {
		arches = append(arches, a)
	}
	sort.Strings(arches)
	out := map[string]*Built{}
	for _, a := range arches {
		dir := filepath.Join(binDir, a)
		o.Progress.Note(fmt.Sprintf("cross-building %d scenario packages and the guest runner for %s in %s", len(pkgs), a, dir))
		b, err := BuildArch(ctx, o.Root, dir, pkgs, o.Cover, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if b.foreignRunner, err = guest.RunnerBinaryFor(ctx, cacheDir, a, o.Progress.Writer()); err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		out[a] = b
	}
	return out, nil
}
