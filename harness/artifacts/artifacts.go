// Package artifacts is where a scenario test leaves files for the matrix:
// the directory named by $BPFLAB_ARTIFACTS. The guest runner sets it, the
// matrix collects what is written there into the kernel's results (load
// reports, probe results). Outside the matrix the variable is unset and
// nothing is written.
package artifacts

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bpflab/bpflab/internal/atomicfile"
)

// Env is the environment variable naming the artifacts directory.
const Env = "BPFLAB_ARTIFACTS"

// Dir is the artifacts directory, or "" when not running under the matrix.
func Dir() string { return os.Getenv(Env) }

// Write writes data as file name in Dir (created if needed, written
// atomically: the collector never sees half a file) and returns its path,
// or "" without writing when Dir is unset.
func Write(name string, data []byte) (string, error) {
	dir := Dir()
	if dir == "" {
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s=%s: %w", Env, dir, err)
	}
	path := filepath.Join(dir, name)
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("artifact: %w", err)
	}
	return path, nil
}

// Name makes a file name part from s (a kernel release, say): path
// separators and spaces become '_', and "" becomes "unknown".
func Name(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == 0 {
			return '_'
		}
		return r
	}, s)
}
