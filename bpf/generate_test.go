// Package bpf_test checks that the committed BPF objects and bindings are
// what the committed sources build to.
package bpf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpflab/bpflab/internal/bpf2goline"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantClang is the pinned toolchain (scripts/setup installs it); other
// versions produce different, equally valid bytes.
const wantClang = "19"

// TestCommittedObjectsMatchSources reruns each package's go:generate line
// into a temporary directory and compares the result byte for byte with
// the committed *_bpfel.o and *_bpfel.go.
func TestCommittedObjectsMatchSources(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: rebuilding BPF objects takes a while")
	}
	cc := findClang(t)
	// go test puts its own GOROOT/bin first on PATH: the go running us.
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	gens := findGenerators(t)
	require.NotEmpty(t, gens, "no bpf2go go:generate lines under bpf/")
	for _, g := range gens {
		pkg := g.Dir
		t.Run(pkg+"/"+g.Ident, func(t *testing.T) {
			out := t.TempDir()
			// go tool bpf2go -output-dir OUT -cc CC <rest>
			cmdArgs := g.GoArgs(out, cc)
			cmd := exec.Command(goBin, cmdArgs...)
			cmd.Dir = pkg
			cmd.Env = append(os.Environ(), g.Env()...)
			outb, err := cmd.CombinedOutput()
			require.NoError(t, err, "go %s:\n%s", strings.Join(cmdArgs, " "), outb)

			built, err := filepath.Glob(filepath.Join(out, "*"))
			require.NoError(t, err)
			require.NotEmpty(t, built, "bpf2go wrote nothing to %s", out)
			for _, f := range built {
				name := filepath.Base(f)
				got, err := os.ReadFile(f)
				require.NoError(t, err)
				committed, err := os.ReadFile(filepath.Join(pkg, name))
				require.NoError(t, err, "%s is built from sources but not committed; run `make generate`", name)
				assert.True(t, bytes.Equal(committed, got),
					"%s/%s differs from what the sources build to (%d vs %d bytes); run `make generate` and commit", pkg, name, len(committed), len(got))
			}
		})
	}
}

// findClang returns clang-19, or skips saying what was found instead.
func findClang(t *testing.T) string {
	for _, name := range []string{"clang-" + wantClang, "clang"} {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		ver, err := exec.Command(path, "--version").Output()
		if err == nil && strings.Contains(string(ver), "clang version "+wantClang+".") {
			return path
		}
	}
	t.Skipf("clang %s not found in PATH (objects are only reproducible with the pinned compiler); run scripts/setup", wantClang)
	return ""
}

// findGenerators collects the bpf2go lines of every package under bpf/
// and of the seed-bug fixtures under internal/fixtures.
func findGenerators(t *testing.T) []bpf2goline.Line {
	files, err := filepath.Glob("*/*.go")
	require.NoError(t, err)
	fixtures, err := filepath.Glob("../internal/fixtures/*.go")
	require.NoError(t, err)
	lines, err := bpf2goline.Find(append(files, fixtures...))
	require.NoError(t, err)
	return lines
}
