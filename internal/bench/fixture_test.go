package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/host"
	"github.com/bpflab/bpflab/internal/vm/kvm"
	"github.com/bpflab/bpflab/internal/vm/qemu"
	"github.com/bpflab/bpflab/internal/vm/vng"
	"github.com/bpflab/bpflab/internal/vmlinux"
)

// repoRoot is where this package sits relative to the module root.
const repoRoot = "../.."

// bootDeadline bounds one bare boot; the floor is ~2-5 s, a loaded machine
// stretches it, a hang must not stall the benchmark.
const bootDeadline = 2 * time.Minute

// vngBoot bounds a vng boot in the suites (the backend's TCG default is 6 min).
const vngBoot = 15 * time.Minute

// fixture holds what every measurement needs, built once per run.
type fixture struct {
	root     string // module root
	dir      string // private temp dir: binaries, initramfs, work dirs
	cache    string // bpflab cache (vmlinux extracted there, as the backend does)
	store    *kernel.Store
	bpflab   string // static bpflab (also the guest runner)
	poweroff string // floor /init
	trivial  string // what bpflab exec runs
	floorRD  string // initramfs with poweroff as /init
	accel    string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		tb.Skip("qemu-system-x86_64 not installed (scripts/setup installs qemu-system-x86)")
	}
	root, err := filepath.Abs(repoRoot)
	require.NoError(tb, err)
	f := &fixture{root: root, dir: tb.TempDir(), accel: "tcg"}
	if ok, _ := kvm.Probe(context.Background(), "", 0); ok {
		f.accel = "kvm"
	}
	f.cache, err = kernel.DefaultCacheDir()
	require.NoError(tb, err)
	man, err := kernel.LoadManifest(filepath.Join(root, "kernels", "manifest"))
	require.NoError(tb, err)
	lock, err := kernel.LoadLock(filepath.Join(root, "kernels", "lock.json"))
	require.NoError(tb, err)
	f.store, err = kernel.NewStore(kernel.Options{Manifest: man, Lock: lock, Log: os.Stderr})
	require.NoError(tb, err)

	bin := filepath.Join(f.dir, "bin")
	f.bpflab = filepath.Join(bin, "bpflab")
	f.poweroff = filepath.Join(bin, "poweroff")
	f.trivial = filepath.Join(bin, "trivial")
	for out, pkg := range map[string]string{
		f.bpflab:   "./cmd/bpflab",
		f.poweroff: "./internal/bench/testdata/poweroff", f.trivial: "./internal/bench/testdata/trivial",
	} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		b, err := cmd.CombinedOutput()
		require.NoError(tb, err, "build %s: %s", pkg, b)
	}
	f.floorRD, err = initramfs.Build(filepath.Join(f.dir, "initramfs"),
		[]initramfs.Entry{{Name: "init", Source: f.poweroff, Mode: 0o755}})
	require.NoError(tb, err)
	return f
}

// kernel fetches (or finds cached) a manifest kernel; nil means the host.
func (f *fixture) kernel(tb testing.TB, name string) *vm.Kernel {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	img, err := f.store.Ensure(ctx, name)
	require.NoError(tb, err, "kernel %s", name)
	return img.Kernel
}

// pvhImage is the vmlinux the qemu backend boots, or "" without a PVH note.
func (f *fixture) pvhImage(tb testing.TB, k *vm.Kernel) string {
	p, err := vmlinux.Cached(k.Vmlinuz, filepath.Join(f.cache, "vmlinux"))
	require.NoError(tb, err)
	return p
}

// sample is one measurement: wall time, and CPU time (user+sys of the
// process and the children it waited for), which a machine loaded by
// other work inflates much less than wall time.
type sample struct{ wall, cpu time.Duration }

func cpuOf(cmd *exec.Cmd) time.Duration {
	if st := cmd.ProcessState; st != nil {
		return st.UserTime() + st.SystemTime()
	}
	return 0
}

// bareBoot boots image with the poweroff /init on the qemu backend's
// machine (q35, -nodefaults, same CPU, memory and vCPUs) and measures qemu
// from start to exit.
func (f *fixture) bareBoot(tb testing.TB, image string) sample {
	ctx, cancel := context.WithTimeout(context.Background(), bootDeadline)
	defer cancel()
	con := filepath.Join(f.dir, "floor-console.log")
	cpu := map[string]string{"kvm": "host", "tcg": "max"}[f.accel]
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64",
		"-M", "q35", "-nodefaults", "-display", "none", "-no-reboot",
		"-accel", qemu.AccelArg(f.accel), "-cpu", cpu, "-m", "1G", "-smp", "2",
		"-serial", "file:"+con, "-kernel", image, "-initrd", f.floorRD,
		"-append", "console=ttyS0 panic=-1 quiet rdinit=/init")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	log, _ := os.ReadFile(con)
	require.NoError(tb, ctx.Err(), "bare boot of %s did not power off within %v; console:\n%s", image, bootDeadline, tail(log))
	require.NoError(tb, err, "qemu: %s", stderr.String())
	// With quiet the kernel still prints "reboot: Power down" (emerg): its
	// absence means /init never ran or panicked (which -no-reboot also ends).
	require.Contains(tb, string(log), "Power down", "bare boot of %s did not reach the poweroff /init; console:\n%s", image, tail(log))
	return sample{took, cpuOf(cmd)}
}

// exec runs `bpflab exec --backend B --kernel K -- trivial` and measures
// it (qemu included, as bpflab waits for it); its output and exit status
// are checked.
func (f *fixture) exec(tb testing.TB, backend, kname string, extra ...string) sample {
	tb.Helper()
	sm, err := f.tryExec(backend, kname, extra...)
	require.NoError(tb, err)
	return sm
}

// tryExec is exec returning its failure instead of failing tb.
func (f *fixture) tryExec(backend, kname string, extra ...string) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"exec", "--backend", backend, "--kernel", kname}, extra...)
	cmd := exec.CommandContext(ctx, f.bpflab, append(args, "--", f.trivial)...)
	cmd.Dir = f.root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("bpflab %s: %w: %s", strings.Join(args, " "), err, tail(stderr.Bytes()))
	}
	if !strings.Contains(stdout.String(), "trivial: ok") {
		return sample{}, fmt.Errorf("bpflab %s: the binary's output did not come back; stderr:\n%s", strings.Join(args, " "), tail(stderr.Bytes()))
	}
	return sample{took, cpuOf(cmd)}, nil
}

// suite runs the whole scenario matrix for one kernel on a backend and
// returns its report (kernel fetch and boot included, build excluded).
func (f *fixture) suite(tb testing.TB, kname, backend string, pkgs ...string) report.Kernel {
	ctx, cancel := context.WithTimeout(context.Background(), matrix.DefaultTimeout+10*time.Minute)
	defer cancel()
	work := filepath.Join(f.dir, "suite-"+backend+"-"+kname)
	m, err := matrix.Run(ctx, matrix.Options{
		Root: f.root, Manifest: filepath.Join(f.root, "kernels", "manifest"),
		LockPath: filepath.Join(f.root, "kernels", "lock.json"),
		Kernels:  []string{kname}, Packages: pkgs, Backend: backend, WorkDir: work, Jobs: 1, Runner: f.bpflab,
		Host: host.New(matrix.DefaultBinaryTimeout + time.Minute),
		NewBackend: func(name, runner string) (vm.Backend, error) {
			if name == "vng" {
				if err := vng.Available(); err != nil {
					return nil, err
				}
				// A loaded 2-core machine stretched vng's TCG boot past its
				// 6 min default (measured: still in udev at 317 s uptime).
				return &vng.Backend{Runner: runner, Boot: vngBoot}, nil
			}
			return &qemu.Backend{GuestBinary: runner, CacheDir: f.cache}, nil
		},
	})
	require.NoError(tb, err)
	require.Len(tb, m.Kernels, 1)
	return m.Kernels[0]
}

// counts sums a kernel's test statuses, e.g. "41 pass, 3 skip".
func counts(k report.Kernel) (string, int) {
	n := map[report.Status]int{}
	for _, t := range k.Tests {
		n[t.Status]++
	}
	s := fmt.Sprintf("%d pass, %d skip, %d fail", n[report.Pass], n[report.Skip], n[report.Fail])
	return s, n[report.Fail]
}

// median returns the median wall and the median CPU time in seconds.
func median(ss []sample) (wall, cpu float64) {
	w, c := make([]time.Duration, len(ss)), make([]time.Duration, len(ss))
	for i, s := range ss {
		w[i], c[i] = s.wall, s.cpu
	}
	slices.Sort(w)
	slices.Sort(c)
	mid := func(d []time.Duration) float64 { // mean of the middle two when even
		n := len(d)
		return (d[(n-1)/2] + d[n/2]).Seconds() / 2
	}
	return mid(w), mid(c)
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
