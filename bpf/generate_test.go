// Package bpf_test checks that the committed BPF objects and bindings are
// what the committed sources build to.
package bpf_test

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
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
	// go test puts its own GOROOT/bin first on PATH: the go running us.
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	gens := findGenerators(t)
	require.NotEmpty(t, gens, "no bpf2go go:generate lines under bpf/")
	for _, g := range gens {
		pkg, args := g.dir, g.args
		t.Run(pkg+"/"+g.ident, func(t *testing.T) {
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
			cmd.Env = append(os.Environ(), "GOPACKAGE="+g.pkg, "GOFILE="+g.file)
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

// generator is one bpf2go go:generate line.
type generator struct {
	dir, file, pkg string   // package directory, file holding the line, package name
	ident          string   // bpf2go identifier (first positional argument)
	args           []string // arguments after "go tool bpf2go"
}

const generatePrefix = "//go:generate go tool bpf2go "

// findGenerators collects the bpf2go lines of every package under bpf/
// and of the seed-bug fixtures under internal/fixtures.
func findGenerators(t *testing.T) []generator {
	files, err := filepath.Glob("*/*.go")
	require.NoError(t, err)
	fixtures, err := filepath.Glob("../internal/fixtures/*.go")
	require.NoError(t, err)
	files = append(files, fixtures...)
	var gens []generator
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		if !bytes.Contains(data, []byte(generatePrefix)) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, data, parser.PackageClauseOnly)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			rest, ok := strings.CutPrefix(line, generatePrefix)
			if !ok {
				continue
			}
			args := splitArgs(rest)
			gens = append(gens, generator{
				dir: filepath.Dir(file), file: filepath.Base(file), pkg: f.Name.Name,
				ident: firstPositional(args), args: args,
			})
		}
	}
	return gens
}

// splitArgs splits a go:generate line like the go command does for the
// simple cases used here: spaces separate, double quotes group.
func splitArgs(line string) []string {
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

// firstPositional returns the bpf2go identifier: the first argument that
// is neither a flag nor a flag's value.
func firstPositional(args []string) string {
	boolFlags := map[string]bool{"-verbose": true, "-no-strip": true, "-no-global-types": true}
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "-") {
			if !strings.Contains(args[i], "=") && !boolFlags[args[i]] {
				i++
			}
			continue
		}
		return args[i]
	}
	return "?"
}
