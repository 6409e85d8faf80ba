package matrix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
)

// buildTimeout bounds each `go` build; a cold cache with cilium/ebpf takes
// about a minute on two busy cores.
const buildTimeout = 10 * time.Minute

// Discover lists the scenario packages ("scenarios/x": directories under
// scenarios/ holding _test.go files), or checks the requested ones.
func Discover(root string, want []string) ([]string, error) {
	dirs, err := os.ReadDir(filepath.Join(root, "scenarios"))
	if err != nil {
		return nil, fmt.Errorf("list scenario packages: %w", err)
	}
	var all []string
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		tests, _ := filepath.Glob(filepath.Join(root, "scenarios", d.Name(), "*_test.go"))
		if len(tests) > 0 {
			all = append(all, "scenarios/"+d.Name())
		}
	}
	sort.Strings(all)
	if len(want) == 0 {
		if len(all) == 0 {
			return nil, fmt.Errorf("no scenario packages with tests under %s", filepath.Join(root, "scenarios"))
		}
		return all, nil
	}
	var pkgs []string
	for _, w := range want {
		p := "scenarios/" + strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(w, "/"), "./"), "scenarios/")
		if !contains(all, p) {
			return nil, &UnknownPackageError{Name: w, Known: all}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// UnknownPackageError is a --pkg that is not a scenario package.
type UnknownPackageError struct {
	Name  string
	Known []string
}

func (e *UnknownPackageError) Error() string {
	return fmt.Sprintf("unknown scenario package %q; known: %s", e.Name, strings.Join(e.Known, ", "))
}

// RunnerName is the guest runner's file name in the build dir.
const RunnerName = "bpflab-guest"

// Built is what the build step produced.
type Built struct {
	Runner   string      // static guest runner
	Binaries []vm.Binary // one static test binary per package that built
	// Broken holds a failed "(build)" test per package that did not
	// compile: it fails on every kernel, the other packages still run.
	Broken []report.Test
}

// Build compiles each package with `CGO_ENABLED=0 go test -c` and the guest
// runner with `go build` into dir, reproducibly (-trimpath, no VCS stamp):
// the result cache keys on the binaries' bytes, which must then change only
// when their code does, not with the checkout's path or commit. A package that does not compile is
// recorded in Broken; a runner that does not compile is an error.
func Build(ctx context.Context, root, dir string, pkgs []string) (*Built, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create build dir: %w", err)
	}
	b := &Built{Runner: filepath.Join(dir, RunnerName)}
	if out, err := goCmd(ctx, root, "build", "-trimpath", "-buildvcs=false", "-o", b.Runner, "./cmd/bpflab-guest"); err != nil {
		return nil, fmt.Errorf("build guest runner: %w\n%s", err, out)
	}
	together := buildTogether(ctx, root, dir, pkgs)
	for _, p := range pkgs {
		bin := filepath.Join(dir, strings.ReplaceAll(p, "/", "_")+".test")
		var out string
		var err error
		if !together {
			out, err = goCmd(ctx, root, "test", "-c", "-trimpath", "-buildvcs=false", "-o", bin, "./"+p)
		}
		switch {
		case err != nil:
			b.Broken = append(b.Broken, report.Test{Package: p, Name: report.BuildTest, Status: report.Fail,
				Reason: "go test -c failed: " + firstLine(out), Output: out})
		case !exists(bin):
			// go test -c writes nothing for a package without tests.
			continue
		default:
			b.Binaries = append(b.Binaries, vm.Binary{Name: p, Path: bin})
		}
	}
	return b, nil
}

// buildTogether builds every package's test binary with one `go test -c`,
// which compiles and links them in parallel (a warm rerun is mostly
// linking), renaming each <base>.test to the name Build uses. It reports
// false when that failed (a package does not compile, two share a base
// name); Build then builds one by one, which says which package broke.
func buildTogether(ctx context.Context, root, dir string, pkgs []string) bool {
	bases := map[string]string{}
	args := []string{"test", "-c", "-trimpath", "-buildvcs=false", "-o", ""}
	for _, p := range pkgs {
		base := filepath.Base(p)
		if _, dup := bases[base]; dup {
			return false
		}
		bases[base] = p
		args = append(args, "./"+p)
	}
	tmp, err := os.MkdirTemp(dir, ".together-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(tmp)
	args[5] = tmp + string(filepath.Separator)
	if _, err := goCmd(ctx, root, args...); err != nil {
		return false
	}
	for base, p := range bases {
		from := filepath.Join(tmp, base+".test")
		if !exists(from) { // no tests in p
			continue
		}
		if err := os.Rename(from, filepath.Join(dir, strings.ReplaceAll(p, "/", "_")+".test")); err != nil {
			return false
		}
	}
	return true
}

// Jobs returns the binaries with their test flags. -test.timeout makes a
// hung test panic with its stack before the backend's deadline kills it.
func (b *Built) Jobs(run string, timeout time.Duration) []vm.Binary {
	var bins []vm.Binary
	for _, bin := range b.Binaries {
		bin.Args = []string{"-test.v", "-test.count=1", "-test.timeout=" + timeout.String()}
		if run != "" {
			bin.Args = append(bin.Args, "-test.run="+run)
		}
		bins = append(bins, bin)
	}
	return bins
}

func goCmd(ctx context.Context, root string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("go %s timed out after %s", args[0], buildTimeout)
	}
	return strings.TrimSpace(out.String()), err
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return s
}
