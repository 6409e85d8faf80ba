package anyproject

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
)

// EnvKernels names the VM kernels to run the external module on as well
// (e.g. "5.10,7.x"); the host kernel always runs. Opt-in: TCG boots are
// slow on a busy machine.
const EnvKernels = "BPFLAB_ANYPROJECT_KERNELS"

// project is a copy of testdata/extmod outside the repository with a
// static bpflab next to it.
type project struct {
	dir, bpflab string
}

func setup(t *testing.T) *project {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the external module's test and bpflab check load BPF programs")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	tmp := t.TempDir()
	p := &project{dir: filepath.Join(tmp, "extmod"), bpflab: filepath.Join(tmp, "bin", "bpflab")}
	build := exec.Command("go", "build", "-o", p.bpflab, "./cmd/bpflab")
	build.Dir, build.Env = repo, append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	src := filepath.Join("testdata", "extmod")
	require.NoError(t, os.CopyFS(p.dir, os.DirFS(src)))
	// The copy is elsewhere: point its replace at this repository.
	mod, err := os.ReadFile(filepath.Join(p.dir, "go.mod"))
	require.NoError(t, err)
	mod = bytes.Replace(mod, []byte("=> ../../../.."), []byte("=> "+repo), 1)
	require.NoError(t, os.WriteFile(filepath.Join(p.dir, "go.mod"), mod, 0o644))
	return p
}

// run runs bpflab in the project dir and returns its exit code and output.
func (p *project) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(p.bpflab, args...)
	cmd.Dir = p.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !assert.ErrorAs(t, err, &ee) {
		return -1, out.String()
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func kernels() string {
	k := "host"
	if extra := os.Getenv(EnvKernels); extra != "" {
		k += "," + extra
	}
	return k
}

func statuses(t *testing.T, path string) map[string]map[string]report.Test {
	t.Helper()
	m, err := report.ReadFile(path)
	require.NoError(t, err)
	got := map[string]map[string]report.Test{}
	for _, k := range m.Kernels {
		assert.Empty(t, k.Error, "kernel %s", k.Name)
		got[k.Name] = map[string]report.Test{}
		for _, tc := range k.Tests {
			got[k.Name][tc.Package+" "+tc.Name] = tc
		}
	}
	return got
}

func TestMatrixOnExternalModule(t *testing.T) {
	p := setup(t)
	code, out := p.run(t, "matrix", "--kernels", kernels(), "-j", "2", "--json", "m.json", "--junit", "m.xml", "--cover", "cov", "./...")
	require.Equal(t, 0, code, out)
	got := statuses(t, filepath.Join(p.dir, "m.json"))
	for _, k := range strings.Split(kernels(), ",") {
		for _, name := range []string{"TestCountsEveryPacket", "TestLoopModeMatchesTheKernel"} {
			tc, ok := got[k]["example.com/extmod "+name]
			require.True(t, ok, "kernel %s ran the module's %s: %v", k, name, got[k])
			assert.Equal(t, report.Pass, tc.Status, "kernel %s: %s", k, tc.Reason)
		}
		// Per-kernel coverage shows which branch of LoopMode ran:
		// bpf_loop from 5.17 on, the unrolled fallback on 5.10.
		prof, err := os.ReadFile(filepath.Join(p.dir, "cov", k+".out"))
		require.NoError(t, err, "kernel %s profile", k)
		loop, unrolled := "1", "0"
		if k == "5.10" {
			loop, unrolled = "0", "1"
		}
		assert.Contains(t, string(prof), "example.com/extmod/mode.go:16.68,18.3 1 "+loop+"\n", "kernel %s", k)
		assert.Contains(t, string(prof), "example.com/extmod/mode.go:19.2,19.19 1 "+unrolled+"\n", "kernel %s", k)
	}
	assert.FileExists(t, filepath.Join(p.dir, "cov", "merged.out"))
	assert.FileExists(t, filepath.Join(p.dir, "m.xml"))
	assert.NoDirExists(t, filepath.Join(p.dir, "kernels"), "nothing is written into the user's tree but what was asked")
}

func TestCheckOnExternalObject(t *testing.T) {
	p := setup(t)
	obj := "testdata/counter.bpf.o"
	code, out := p.run(t, "check", "--kernels", kernels(), "-j", "2", "--json", "c.json", "--junit", "c.xml", obj)
	assert.Equal(t, 1, code, "core_missing fails everywhere:\n%s", out)
	got := statuses(t, filepath.Join(p.dir, "c.json"))
	for _, k := range strings.Split(kernels(), ",") {
		r := got[k]
		assert.Equal(t, report.Pass, r[obj+" map/counts"].Status, "kernel %s", k)
		assert.Equal(t, report.Pass, r[obj+" prog/xdp_count"].Status, "kernel %s: %s", k, r[obj+" prog/xdp_count"].Reason)
		assert.Equal(t, "xdp (generic) on lo in a private netns", r[obj+" prog/xdp_count"].Reason)
		assert.Equal(t, report.Fail, r[obj+" prog/core_missing"].Status, "kernel %s", k)
		assert.True(t, strings.HasPrefix(r[obj+" prog/core_missing"].Reason, "CORE_RELOCATION_FAILED: "), "kernel %s: %s", k, r[obj+" prog/core_missing"].Reason)
		// Helpers newer than 5.10 must fail there, each with the kernel's
		// own reason: an unknown helper id, or (bpf_loop's callback) a
		// program 5.10's verifier cannot parse.
		cookie, loop := r[obj+" prog/cookie_getuid"], r[obj+" prog/loop_getpid"]
		if k == "5.10" {
			assert.Equal(t, "MISSING_HELPER: unknown#174", cookie.Reason)
			assert.True(t, strings.HasPrefix(loop.Reason, "VERIFIER_REJECTED: "), loop.Reason)
			assert.Contains(t, loop.Reason, "func_info")
		} else {
			assert.Equal(t, report.Pass, cookie.Status, "kernel %s: %s", k, cookie.Reason)
			assert.Equal(t, report.Pass, loop.Status, "kernel %s: %s", k, loop.Reason)
		}
	}
	assert.Contains(t, out, "repro: bpflab check --kernels host "+obj)

	// The same results as a baseline: known failures no longer fail.
	code, out = p.run(t, "check", "--kernels", "host", "--baseline", "c.json", obj)
	assert.Equal(t, 0, code, out)
}

// TestGoTestExec runs the module's package through `go test -exec 'bpflab
// exec --kernel K'` from its own directory: the built-in kernel list is
// used (the module has no kernels/manifest) and testdata/ is carried into
// the guest, where the binary runs in the package dir, as go test does.
func TestGoTestExec(t *testing.T) {
	p := setup(t)
	k := "host"
	if extra := os.Getenv(EnvKernels); extra != "" {
		k = strings.Split(extra, ",")[0]
	}
	cmd := exec.Command("go", "test", "-count=1", "-v", "-exec", p.bpflab+" exec --kernel "+k, ".")
	cmd.Dir, cmd.Env = p.dir, append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "--- PASS: TestCountsEveryPacket")
}

// TestGoTool uses bpflab as a `go tool` dependency of the module: go
// builds it with the module's settings (cgo on: it links libc), and bpflab
// rebuilds a static copy for the guests from the module itself.
func TestGoTool(t *testing.T) {
	p := setup(t)
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	f, err := os.OpenFile(filepath.Join(p.dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\ntool github.com/bpflab/bpflab/cmd/bpflab\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	// bpflab's own checksums: tidy then works from the module cache alone.
	sums, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	f, err = os.OpenFile(filepath.Join(p.dir, "go.sum"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(sums)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env = p.dir, append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	out, err := tidy.CombinedOutput()
	require.NoError(t, err, string(out))

	// A fresh cache, so the static copy is built here (host only: no
	// kernel is downloaded into it).
	cache := t.TempDir()
	cmd := exec.Command("go", "tool", "bpflab", "check", "--kernels", "host", "--json", "t.json", "testdata/counter.bpf.o")
	cmd.Dir, cmd.Env = p.dir, append(os.Environ(), "CGO_ENABLED=1", "BPFLAB_CACHE="+cache, "BPFLAB_GUEST_BINARY=")
	out, _ = cmd.CombinedOutput()
	assert.Equal(t, 1, cmd.ProcessState.ExitCode(), "core_missing fails:\n%s", out)
	if _, err := exec.LookPath("gcc"); err == nil { // cgo on: go tool's build links libc
		assert.Contains(t, string(out), "so the guests get a static copy")
	}
	got := statuses(t, filepath.Join(p.dir, "t.json"))
	assert.Equal(t, report.Pass, got["host"]["testdata/counter.bpf.o prog/xdp_count"].Status, "%v", got["host"])
}
