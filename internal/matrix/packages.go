package matrix

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// bpflabModule is this repository's module path: run inside it, the
// matrix defaults to the scenarios rather than every unit test.
const bpflabModule = "github.com/bpflab/bpflab"

// Package is one Go package with tests that the matrix builds and runs.
type Package struct {
	// Name labels the package in reports: its directory relative to the
	// module root ("scenarios/xdp"), or its import path for the root
	// package and for one that lives elsewhere (a dependency in the
	// module cache).
	Name       string
	ImportPath string
	Dir        string // source dir: the test binary runs there (testdata/)
	ModuleDir  string // root of the package's module (its testdata/ dirs count too)
}

// DefaultPatterns are the package patterns when none are given: every
// package of the module, or ./scenarios/... in bpflab itself.
func DefaultPatterns(modulePath string) []string {
	if modulePath == bpflabModule {
		return []string{"./scenarios/..."}
	}
	return []string{"./..."}
}

// Discover resolves go package patterns ("./...", "./pkg/xdp", an import
// path) with `go list` in the module at root, keeping packages that have
// tests. A bare relative dir ("scenarios/xdp", as in repro lines) means
// "./scenarios/xdp". Empty patterns mean DefaultPatterns.
func Discover(ctx context.Context, root string, patterns []string) ([]Package, error) {
	modPath, err := modulePath(ctx, root)
	if err != nil {
		return nil, err
	}
	if len(patterns) == 0 {
		patterns = DefaultPatterns(modPath)
	}
	args := []string{"list", "-e", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{with .Module}}{{.Dir}}{{end}}\t{{len .TestGoFiles}}\t{{len .XTestGoFiles}}\t{{if .Error}}{{.Error}}{{end}}", "--"}
	for _, p := range patterns {
		args = append(args, normalizePattern(root, p))
	}
	out, err := goCmd(ctx, root, nil, args...)
	if err != nil {
		return nil, &UnknownPackageError{Patterns: patterns, Detail: lastLines(out, 5)}
	}
	var pkgs []Package
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 6)
		if len(f) < 5 {
			continue // go list warnings ("matched no packages") share the output
		}
		if len(f) == 5 { // no error: goCmd trimmed the trailing tab
			f = append(f, "")
		}
		tests, _ := strconv.Atoi(f[3])
		xtests, _ := strconv.Atoi(f[4])
		if f[1] == "" {
			return nil, &UnknownPackageError{Patterns: patterns, Detail: f[0] + ": " + f[5]}
		}
		if tests+xtests == 0 && f[5] == "" {
			continue
		}
		name := f[0]
		if rel, err := filepath.Rel(root, f[1]); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			name = filepath.ToSlash(rel)
		}
		pkgs = append(pkgs, Package{Name: name, ImportPath: f[0], Dir: f[1], ModuleDir: f[2]})
	}
	if len(pkgs) == 0 {
		return nil, &UnknownPackageError{Patterns: patterns, Detail: "no package with tests matches (" + lastLines(out, 3) + ")"}
	}
	return pkgs, nil
}

// normalizePattern turns a bare dir of the module into a relative pattern.
func normalizePattern(root, p string) string {
	if strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/") {
		return p
	}
	dir := strings.TrimSuffix(strings.TrimSuffix(p, "/..."), "/")
	if st, err := os.Stat(filepath.Join(root, dir)); err == nil && st.IsDir() {
		return "./" + strings.TrimSuffix(p, "/")
	}
	return p
}

// modulePath is the module path of the module at root.
func modulePath(ctx context.Context, root string) (string, error) {
	if _, err := ModuleRoot(ctx, root); err != nil {
		return "", err
	}
	out, err := goCmd(ctx, root, nil, "list", "-m", "-f", "{{.Path}}")
	if err != nil {
		return "", fmt.Errorf("module in %s: go list -m: %s", root, lastLines(out, 2))
	}
	return strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]), nil
}

// ModuleRoot is the root of the Go module containing dir (go env GOMOD).
func ModuleRoot(ctx context.Context, dir string) (string, error) {
	out, err := goCmd(ctx, dir, nil, "env", "GOMOD")
	gomod := strings.TrimSpace(out)
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%s is not inside a Go module (no go.mod here or above): run bpflab matrix from your module", dir)
	}
	return filepath.Dir(gomod), nil
}

// UnknownPackageError is a package pattern go list could not resolve, or
// patterns that match no package with tests.
type UnknownPackageError struct {
	Patterns []string
	Detail   string
}

func (e *UnknownPackageError) Error() string {
	return fmt.Sprintf("packages %s: %s (patterns as for go test, e.g. ./... or ./pkg/xdp)", strings.Join(e.Patterns, " "), e.Detail)
}

// maxTestdata bounds what is carried into a guest per package: the qemu
// backend's initramfs lives in guest memory.
const maxTestdata = 64 << 20

// testdataDirs are the testdata/ dirs a package's tests may read: its own
// and those of its parents up to the module root (tests often read
// ../testdata, as cilium/ebpf's do).
func testdataDirs(pkg Package) []string {
	dirs := []string{filepath.Join(pkg.Dir, "testdata")}
	if pkg.ModuleDir == "" {
		return dirs
	}
	for d := pkg.Dir; d != pkg.ModuleDir && strings.HasPrefix(d, pkg.ModuleDir+string(filepath.Separator)); {
		d = filepath.Dir(d)
		dirs = append(dirs, filepath.Join(d, "testdata"))
	}
	return dirs
}

// testdataFiles lists the files under the dirs by absolute path, for
// vm.Job.Files (the guest sees them at the same path), and their size.
func testdataFiles(dirs ...string) (map[string]string, int64, error) {
	files := map[string]string{}
	var size int64
	for _, td := range dirs {
		if err := walkFiles(td, files, &size); err != nil {
			return nil, 0, err
		}
	}
	return files, size, nil
}

func walkFiles(td string, files map[string]string, size *int64) error {
	return filepath.WalkDir(td, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == td {
				return fs.SkipDir
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		*size += info.Size()
		if *size > maxTestdata {
			return fmt.Errorf("%s holds more than %d MiB; the guest carries at most that much", td, maxTestdata>>20)
		}
		files[p] = p
		return nil
	})
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}

// DirFiles is what a binary running in dir (as go test runs a package's
// tests in its source dir) may read from testdata/: dir's and its
// parents' up to the enclosing go.mod, by absolute path (vm.Job.Files).
func DirFiles(dir string) (map[string]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	pkg := Package{Dir: dir}
	for d := dir; ; d = filepath.Dir(d) {
		if exists(filepath.Join(d, "go.mod")) {
			pkg.ModuleDir = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	files, _, err := testdataFiles(testdataDirs(pkg)...)
	return files, err
}
