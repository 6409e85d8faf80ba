package matrix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm"
)

// buildTimeout bounds each `go` build; a cold cache with cilium/ebpf takes
// about a minute on two busy cores.
const buildTimeout = 10 * time.Minute

// Built is what the build step produced.
type Built struct {
	Binaries []vm.Binary // one static test binary per package that built
	// Files are the packages' testdata/ files, carried into each guest at
	// their host paths (vm.Job.Files), as the binaries run in their dirs.
	Files map[string]string
	// Broken holds a failed "(build)" test per package that did not
	// compile: it fails on every kernel, the other packages still run.
	Broken []report.Test
	// foreignRunner is Runner for a cross-build (vm.Job.Runner); empty
	// for the host's architecture, whose runner the backend already has.
	foreignRunner string
}

// Build compiles each package with `CGO_ENABLED=0 go test -c` into dir (the
// guest has no libc), reproducibly (-trimpath, no VCS stamp): the result
// cache keys on the binaries' bytes, which must then change only when
// their code does, not with the checkout's path or commit. A package that
// does not compile is recorded in Broken. The guest runner is bpflab
// itself: nothing of it is built from the module under test.
func Build(ctx context.Context, root, dir string, pkgs []Package, cover bool) (*Built, error) {
	return BuildArch(ctx, root, dir, pkgs, cover, "")
}

// BuildArch is Build for a target architecture (GOARCH; "" = the
// toolchain's default): the same packages, cross-compiled, since every
// binary is pure Go (CGO_ENABLED=0) and the BPF objects are embedded.
func BuildArch(ctx context.Context, root, dir string, pkgs []Package, cover bool, goarch string) (*Built, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create build dir: %w", err)
	}
	var env []string
	if goarch != "" {
		env = append(env, "GOARCH="+goarch)
	}
	flags := []string{"-trimpath", "-buildvcs=false"}
	if cover {
		flags = append(flags, "-cover")
	}
	b := &Built{Files: map[string]string{}}
	together := buildTogether(ctx, root, dir, pkgs, env, flags)
	for _, p := range pkgs {
		bin := filepath.Join(dir, binName(p))
		var out string
		var err error
		if !together {
			args := append(append([]string{"test", "-c"}, flags...), "-o", bin, p.ImportPath)
			out, err = goCmd(ctx, root, env, args...)
		}
		switch {
		case err != nil:
			b.Broken = append(b.Broken, report.Test{Package: p.Name, Name: report.BuildTest, Status: report.Fail,
				Reason: "go test -c failed: " + firstLine(out), Output: out})
			continue
		case !exists(bin):
			// go test -c writes nothing for a package without tests.
			continue
		}
		files, _, err := testdataFiles(testdataDirs(p)...)
		if err != nil {
			b.Broken = append(b.Broken, report.Test{Package: p.Name, Name: report.BuildTest, Status: report.Fail,
				Reason: "testdata: " + err.Error()})
			continue
		}
		for g, h := range files {
			b.Files[g] = h
		}
		b.Binaries = append(b.Binaries, vm.Binary{Name: p.Name, Path: bin, Dir: p.Dir})
	}
	return b, nil
}

// binName is the file name of p's test binary in the build dir.
func binName(p Package) string {
	return strings.NewReplacer("/", "_", ".", "_").Replace(p.Name) + ".test"
}

// buildTogether builds every package's test binary with one `go test -c`,
// which compiles and links them in parallel (a warm rerun is mostly
// linking), renaming each <base>.test to the name Build uses. It reports
// false when that failed (a package does not compile, two share a base
// name); Build then builds one by one, which says which package broke.
func buildTogether(ctx context.Context, root, dir string, pkgs []Package, env, flags []string) bool {
	bases := map[string]Package{}
	tmp, err := os.MkdirTemp(dir, ".together-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(tmp)
	args := append(append([]string{"test", "-c"}, flags...), "-o", tmp+string(filepath.Separator))
	for _, p := range pkgs {
		base := path.Base(p.ImportPath)
		if _, dup := bases[base]; dup {
			return false
		}
		bases[base] = p
		args = append(args, p.ImportPath)
	}
	if _, err := goCmd(ctx, root, env, args...); err != nil {
		return false
	}
	for base, p := range bases {
		from := filepath.Join(tmp, base+".test")
		if !exists(from) { // no tests in p
			continue
		}
		if err := os.Rename(from, filepath.Join(dir, binName(p))); err != nil {
			return false
		}
	}
	return true
}

// Jobs returns the binaries with their test flags. -test.timeout makes a
// hung test panic with its stack before the backend's deadline kills it;
// -test.v=test2json frames the binary's output, so a test's own output can
// never pass for a result, and a cut stream shows (report.ParseTest2JSON).
func (b *Built) Jobs(run string, timeout time.Duration) []vm.Binary {
	var bins []vm.Binary
	for _, bin := range b.Binaries {
		bin.Args = []string{"-test.v=test2json", "-test.count=1", "-test.timeout=" + timeout.String()}
		if run != "" {
			bin.Args = append(bin.Args, "-test.run="+run)
		}
		bins = append(bins, bin)
	}
	return bins
}

func goCmd(ctx context.Context, root string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
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

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return s
}
