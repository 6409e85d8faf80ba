// Package bpf_test checks that the committed BPF objects and bindings are
// what the committed sources build to.
package bpf_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, pkg := range []string{"execve", "firewall"} {
		t.Run(pkg, func(t *testing.T) {
			args := generateArgs(t, filepath.Join(pkg, "gen.go"))
			out := t.TempDir()
			// go tool bpf2go -output-dir OUT -cc CC <rest>
			cmdArgs := []string{"tool", "bpf2go", "-output-dir", out}
			for i := 0; i < len(args); i++ {
				if args[i] == "-cc" && i+1 < len(args) {
					cmdArgs = append(cmdArgs, "-cc", cc)
					i++
					continue
				}
				cmdArgs = append(cmdArgs, args[i])
			}
			cmd := exec.Command(goBin, cmdArgs...)
			cmd.Dir = pkg
			cmd.Env = append(os.Environ(), "GOPACKAGE="+pkg, "GOFILE=gen.go")
			outb, err := cmd.CombinedOutput()
			require.NoError(t, err, "go %s:\n%s", strings.Join(cmdArgs, " "), outb)

			built, err := filepath.Glob(filepath.Join(out, "*_bpfel.*"))
			require.NoError(t, err)
			require.NotEmpty(t, built, "bpf2go wrote nothing to %s", out)
			for _, f := range built {
				name := filepath.Base(f)
				got, err := os.ReadFile(f)
				require.NoError(t, err)
				committed, err := os.ReadFile(filepath.Join(pkg, name))
				require.NoError(t, err, "%s is built from sources but not committed; run `make generate`", name)
				assert.True(t, bytes.Equal(committed, got),
					"bpf/%s/%s differs from what the sources build to (%d vs %d bytes); run `make generate` and commit", pkg, name, len(committed), len(got))
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

// generateArgs returns the arguments after "go tool bpf2go" in file's
// go:generate line, honouring double quotes.
func generateArgs(t *testing.T, file string) []string {
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	const prefix = "//go:generate go tool bpf2go "
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		var args []string
		var cur strings.Builder
		inQuote, has := false, false
		for _, r := range line {
			switch {
			case r == '"':
				inQuote, has = !inQuote, true
			case r == ' ' && !inQuote:
				if has {
					args = append(args, cur.String())
					cur.Reset()
					has = false
				}
			default:
				cur.WriteRune(r)
				has = true
			}
		}
		if has {
			args = append(args, cur.String())
		}
		return args
	}
	require.NoError(t, sc.Err())
	t.Fatalf("%s has no %q line", file, prefix)
	return nil
}
