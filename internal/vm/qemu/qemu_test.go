package qemu

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/vm"
)

// testEnv is what every booting test needs: a kernel, the guest runner and
// the failmode program, built once.
type testEnv struct {
	kernel   *vm.Kernel
	guest    string
	failmode string
	cache    string
}

var (
	envOnce sync.Once
	env     testEnv
	envErr  error
	envSkip string
)

// setup boots nothing; it fetches the kernel ($BPFLAB_TEST_KERNEL, default
// 6.1) through the kernel store and builds the static helpers.
func setup(t *testing.T) testEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: booting kernels under qemu takes seconds each")
	}
	envOnce.Do(func() {
		if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
			envSkip = "qemu-system-x86_64 not installed (scripts/setup installs qemu-system-x86)"
			return
		}
		name := os.Getenv("BPFLAB_TEST_KERNEL")
		if name == "" {
			name = "6.1"
		}
		m, err := kernel.LoadManifest("../../../kernels/manifest")
		if err != nil {
			envErr = err
			return
		}
		lock, err := kernel.LoadLock("../../../kernels/lock.json")
		if err != nil {
			envErr = err
			return
		}
		store, err := kernel.NewStore(kernel.Options{Manifest: m, Lock: lock, Log: os.Stderr})
		if err != nil {
			envErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		img, err := store.Ensure(ctx, name)
		if err != nil {
			envErr = err
			return
		}
		if img.Kernel == nil {
			envSkip = "BPFLAB_TEST_KERNEL=" + name + " is the host kernel; pick a Debian kernel"
			return
		}
		dir, err := os.MkdirTemp("", "bpflab-qemu-test-")
		if err != nil {
			envErr = err
			return
		}
		env = testEnv{kernel: img.Kernel, cache: filepath.Join(dir, "cache"),
			guest: filepath.Join(dir, "bpflab"), failmode: filepath.Join(dir, "failmode")}
		for out, pkg := range map[string]string{env.guest: "../../../cmd/bpflab", env.failmode: "./testdata/failmode"} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				envErr = errors.New("build " + pkg + ": " + err.Error() + ": " + string(b))
				return
			}
		}
	})
	if envSkip != "" {
		t.Skip(envSkip)
	}
	require.NoError(t, envErr)
	return env
}

func (e testEnv) backend() *Backend {
	return &Backend{GuestBinary: e.guest, CacheDir: e.cache}
}

func (e testEnv) job(t *testing.T, args ...[]string) vm.Job {
	j := vm.Job{Kernel: e.kernel, WorkDir: t.TempDir(), Timeout: 2 * time.Minute}
	for _, a := range args {
		j.Binaries = append(j.Binaries, vm.Binary{Name: strings.Join(a, " "), Path: e.failmode, Args: a})
	}
	return j
}

func TestExitCodesOutputAndModules(t *testing.T) {
	e := setup(t)
	job := e.job(t, []string{"output"}, []string{"exit", "42"}, []string{"gopanic"}, []string{"signal"}, []string{"module", "veth"})
	job.Modules = []string{"veth"}
	var mu sync.Mutex
	streamed := map[string]string{}
	job.Stream = func(bin string, line []byte) {
		mu.Lock()
		defer mu.Unlock()
		streamed[bin] += string(line)
	}
	run, err := e.backend().Run(context.Background(), job)
	require.NoError(t, err)
	assert.Equal(t, e.kernel.Release, run.Release, "uname -r comes back from the guest")
	require.Len(t, run.Results, 5)
	want := []int{0, 42, 2, 137, 0}
	for i, r := range run.Results {
		assert.Equal(t, want[i], r.ExitCode, "%s: %s", r.Name, r.Output)
	}
	assert.Equal(t, "to stdout\nto stderr\n", string(run.Results[0].Output))
	assert.Contains(t, string(run.Results[2].Output), "deliberate panic")
	assert.Contains(t, string(run.Results[3].Output), "killed by signal")
	mu.Lock()
	assert.Equal(t, "to stdout\nto stderr\n", streamed["output"], "output is streamed from the console")
	mu.Unlock()
	var phases []string
	for _, p := range run.Phases {
		phases = append(phases, p.Name)
	}
	assert.Equal(t, []string{"prepare", "boot", "test", "shutdown"}, phases)
	con, err := os.ReadFile(run.Console)
	require.NoError(t, err)
	assert.Contains(t, string(con), "@@BPFLAB-RUN exit 42")
	assert.Equal(t, filepath.Dir(run.Console), job.WorkDir, "everything stays in the work dir")
}

// TestAutoloadOnKernelRequest: an autoload module is not loaded at boot;
// the first NETLINK_XFRM socket makes the kernel request it, the runner
// (as the kernel's modprobe helper) loads it with its dependency, and the
// socket opens. A protocol whose module was not carried (NETLINK_CRYPTO,
// crypto_user, a module in every default kernel) stays missing.
func TestAutoloadOnKernelRequest(t *testing.T) {
	e := setup(t)
	const netlinkXfrm, netlinkCrypto = "6", "21"
	job := e.job(t, []string{"module", "xfrm_user"}, []string{"netlink", netlinkXfrm},
		[]string{"module", "xfrm_user"}, []string{"netlink", netlinkCrypto})
	job.Autoload = []string{"xfrm_user"}
	run, err := e.backend().Run(context.Background(), job)
	require.NoError(t, err)
	require.Len(t, run.Results, 4)
	want := []int{1, 0, 0, 1}
	for i, r := range run.Results {
		assert.Equal(t, want[i], r.ExitCode, "%s: %s", r.Name, r.Output)
	}
	assert.Contains(t, string(run.Results[3].Output), "protocol not supported", "crypto_user was not carried")
}

// phaseErr asserts err is a *vm.PhaseError for phase and returns it.
func phaseErr(t *testing.T, err error, phase string) *vm.PhaseError {
	t.Helper()
	var pe *vm.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, phase, pe.Phase, "%v", err)
	return pe
}

func TestKernelPanic(t *testing.T) {
	e := setup(t)
	t.Parallel()
	_, err := e.backend().Run(context.Background(), e.job(t, []string{"kpanic"}))
	pe := phaseErr(t, err, "test")
	assert.Contains(t, pe.Err.Error(), "Kernel panic - not syncing")
	assert.Contains(t, pe.ConsoleTail, "sysrq")
}

func TestHangHitsTestDeadline(t *testing.T) {
	e := setup(t)
	t.Parallel()
	job := e.job(t, []string{"exit", "0"}, []string{"hang"})
	job.Timeout = 5 * time.Second
	start := time.Now()
	run, err := e.backend().Run(context.Background(), job)
	pe := phaseErr(t, err, "test")
	assert.Contains(t, pe.Err.Error(), "hang did not finish within 5s")
	assert.Contains(t, pe.ConsoleTail, "hanging")
	require.Len(t, run.Results, 1, "the result before the hang is kept")
	assert.Equal(t, 0, run.Results[0].ExitCode)
	assert.Less(t, time.Since(start), DefaultBootTimeout+job.Timeout+2*interruptGrace, "qemu was stopped")
}

func TestRunnerCrashAsInit(t *testing.T) {
	e := setup(t)
	// A runner that exits at once: PID 1 dies, the kernel panics at boot.
	b := e.backend()
	b.GuestBinary = e.failmode
	_, err := b.Run(context.Background(), e.job(t, []string{"exit", "0"}))
	pe := phaseErr(t, err, "boot")
	assert.Contains(t, pe.Err.Error(), "Attempted to kill init")
	assert.NotEmpty(t, pe.ConsoleTail)
}

func TestBootDeadline(t *testing.T) {
	e := setup(t)
	b := e.backend()
	b.BootTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := b.Run(context.Background(), e.job(t, []string{"exit", "0"}))
	pe := phaseErr(t, err, "boot")
	assert.Contains(t, pe.Err.Error(), "did not start within 300ms")
	assert.Less(t, time.Since(start), 30*time.Second)
}

func TestMissingModule(t *testing.T) {
	e := setup(t)
	job := e.job(t, []string{"exit", "0"})
	job.Modules = []string{"veth", "no_such_module"}
	_, err := e.backend().Run(context.Background(), job)
	pe := phaseErr(t, err, "modules")
	assert.Contains(t, pe.Err.Error(), `"no_such_module" not found`)
}

func TestRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "vmlinuz")
	require.NoError(t, os.WriteFile(fake, []byte("x"), 0o644))
	k := &vm.Kernel{Name: "fake", Vmlinuz: fake}
	self, err := os.Executable()
	require.NoError(t, err)
	tests := []struct {
		name  string
		b     *Backend
		job   vm.Job
		phase string
		want  string
	}{
		{"no work dir", &Backend{}, vm.Job{Kernel: k}, "prepare", "WorkDir"},
		{"no kernel", &Backend{}, vm.Job{WorkDir: dir}, "prepare", "kernel image"},
		{"dynamic binary", &Backend{GuestBinary: self}, vm.Job{Kernel: k, WorkDir: dir,
			Binaries: []vm.Binary{{Name: "true", Path: "/bin/true"}}}, "prepare", "CGO_ENABLED=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "dynamic binary" {
				if _, err := os.Stat("/bin/true"); err != nil {
					t.Skip("no /bin/true")
				}
				if err := exec.Command("go", "version").Run(); err != nil || !strings.Contains(self, "") {
					t.Skip("go not found")
				}
			}
			_, err := tt.b.Run(context.Background(), tt.job)
			pe := phaseErr(t, err, tt.phase)
			assert.Contains(t, pe.Error(), tt.want)
		})
	}
}

// TestGuestModuleLoadFailure boots a module whose vermagic was altered:
// the host resolves it, the guest's finit_module refuses it, and the run
// fails in phase "modules" with the kernel's reason, running no binary.
func TestGuestModuleLoadFailure(t *testing.T) {
	e := setup(t)
	mods, err := initramfs.ResolveModules(e.kernel.ModulesDir, []string{"veth"})
	require.NoError(t, err)
	require.Len(t, mods, 1)
	ko := append([]byte(nil), mods[0].Data...)
	i := bytes.Index(ko, []byte("vermagic="))
	require.Positive(t, i, "veth.ko has a vermagic")
	ko[i+len("vermagic=")] = 'X' // same length: the ELF layout stays valid
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "kernel"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kernel", "veth.ko"), ko, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "modules.builtin"), nil, 0o644))
	k := *e.kernel
	k.ModulesDir = dir
	job := e.job(t, []string{"exit", "0"})
	job.Kernel = &k
	job.Modules = []string{"veth"}
	run, err := e.backend().Run(context.Background(), job)
	pe := phaseErr(t, err, "modules")
	assert.Contains(t, pe.Err.Error(), "finit_module")
	assert.Empty(t, run.Results)
}

// TestFilesInAndArtifactsOut carries a host file into the guest (Job.Files)
// and brings back what the binary wrote to $BPFLAB_ARTIFACTS: the guest has
// no shared filesystem, so both travel in the initramfs and the report.
func TestFilesInAndArtifactsOut(t *testing.T) {
	e := setup(t)
	src := filepath.Join(t.TempDir(), "in.txt")
	require.NoError(t, os.WriteFile(src, []byte("field report 42\n"), 0o644))
	job := e.job(t, []string{"copy", "/bpflab/files/in.txt"}, []string{"env", "BPFLAB_TOOLS"})
	job.Files = map[string]string{"/bpflab/files/in.txt": src}
	// A carried tool is announced to the binaries, so a scenario whose
	// tool went missing fails instead of skipping (probe.Tool).
	job.Tools = []string{"/bin/true"}
	run, err := e.backend().Run(context.Background(), job)
	require.NoError(t, err)
	require.Len(t, run.Results, 2)
	require.Equal(t, 0, run.Results[0].ExitCode, "%s", run.Results[0].Output)
	assert.Equal(t, "true\n", string(run.Results[1].Output))
	// The guest's kernel log comes back whole, and a clean run has no splat.
	assert.Contains(t, run.KernelLog, "Linux version")
	assert.Empty(t, report.ScanSplats(run.KernelLog))
	got, err := os.ReadFile(filepath.Join(job.WorkDir, "artifacts", "copied.txt"))
	require.NoError(t, err)
	assert.Equal(t, "field report 42\n", string(got))
}

func TestKernelCommandLine(t *testing.T) {
	cmdline := func(arch string) (string, []string) {
		args := (&Backend{}).args(&boot{kernel: "/k", initrd: "/i", machine: machines[arch]}, "tcg")
		for i, a := range args {
			if a == "-append" && i+1 < len(args) {
				return args[i+1], args
			}
		}
		return "", args
	}
	amd64, args := cmdline("amd64")
	for _, want := range []string{"rdinit=/init", "BPFLAB_GUEST=1", "panic=-1", "no_timer_check", "console=ttyS0", vm.LSMArg} {
		assert.Contains(t, strings.Fields(amd64), want)
	}
	assert.Contains(t, args, "tcg,thread=single")
	// An x86-only parameter would reach an arm64 /init as an argument.
	arm64, _ := cmdline("arm64")
	assert.NotContains(t, strings.Fields(arm64), "no_timer_check")
	assert.Contains(t, strings.Fields(arm64), "console=ttyAMA0")
}

// TestKernelSplatIsReported makes a real kernel splat: the guest lowers the
// soft-lockup threshold to 2 s and keeps a CPU in one BPF program run
// (bpf_loop, 5.17+) for ~5 s. The kernel's report must come back in the
// run's kernel log and be found by the matrix's splat scanner.
func TestKernelSplatIsReported(t *testing.T) {
	e := setup(t)
	job := e.job(t, []string{"softlockup"})
	run, err := e.backend().Run(context.Background(), job)
	require.NoError(t, err)
	require.Len(t, run.Results, 1)
	require.Equal(t, 0, run.Results[0].ExitCode, "%s", run.Results[0].Output)
	t.Logf("guest: %s", run.Results[0].Output)
	splats := report.ScanSplats(run.KernelLog)
	require.NotEmpty(t, splats, "no splat in the kernel log:\n%s", run.KernelLog)
	assert.Equal(t, "BUG: soft lockup", splats[0].Kind)
	assert.Contains(t, splats[0].Text, "failmode")
	t.Logf("splat found:\n%s", splats[0].Text)
}
