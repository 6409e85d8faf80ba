package check

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/vm"
)

// LocalFlag makes `bpflab check` check the running kernel only; the
// matrix runs bpflab itself that way in every kernel.
const LocalFlag = "--local"

// Job is the matrix job that runs `RUNNER check --local OBJECT...` on each
// kernel: runner is the static bpflab, objects are carried into guests at
// their absolute paths, and the runner works in the current directory so
// relative object names stay as the user gave them.
func Job(runner string, objects []string) (*matrix.Custom, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for _, o := range objects {
		abs, err := filepath.Abs(o)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", o, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("object %s is not a regular file", o)
		}
		files[abs] = abs
	}
	args := append([]string{"check", LocalFlag, "--"}, objects...)
	return &matrix.Custom{
		Binaries: []vm.Binary{{Name: "bpflab check", Path: runner, Args: args, Dir: wd}},
		Files:    files,
		Parse:    Parse,
	}, nil
}
