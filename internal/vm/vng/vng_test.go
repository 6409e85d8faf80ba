package vng

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
)

func TestArgs(t *testing.T) {
	k := &vm.Kernel{Name: "6.1", Vmlinuz: "/k/boot/vmlinuz-6.1"}
	b := New("/w/bin/bpflab")
	tests := []struct {
		accel string
		want  []string
	}{
		{"tcg", []string{"--run", "/k/boot/vmlinuz-6.1", "--verbose", "--memory", "1G", "--cpus", "2", "--rwdir", "/w/share", "--append", vm.LSMArg,
			"--disable-kvm", "--qemu-opts=-accel tcg,thread=single", "--exec", "/w/bin/bpflab guest --spec /w/share/spec.json --results /w/share"}},
		{"kvm", []string{"--run", "/k/boot/vmlinuz-6.1", "--verbose", "--memory", "1G", "--cpus", "2", "--rwdir", "/w/share", "--append", vm.LSMArg,
			"--exec", "/w/bin/bpflab guest --spec /w/share/spec.json --results /w/share"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, b.Args(k, tt.accel, "/w/share", "/w/share/spec.json"), tt.accel)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b-c_d.e": "/a/b-c_d.e",
		"/a b":       "'/a b'",
		"it's":       `'it'\''s'`,
		"":           "''",
	} {
		assert.Equal(t, want, shellQuote(in), in)
	}
}

func TestTrackerPhasesAndStream(t *testing.T) {
	var got []string
	tr := newTracker(time.Now(), func(bin string, line []byte) { got = append(got, bin+": "+string(line)) })
	p, _ := tr.phase()
	assert.Equal(t, "boot", p)
	assert.Equal(t, "booting (no binary started yet)", tr.where())

	tr.scan(strings.NewReader("[ 1.0] noise\n" + guest.MarkRun + "scenarios/xdp\n=== RUN   TestA\n--- PASS: TestA (0.00s)\n"))
	p, _ = tr.phase()
	assert.Equal(t, "test", p)
	assert.Equal(t, "running scenarios/xdp", tr.where())

	tr.scan(strings.NewReader(guest.MarkEnd + "scenarios/xdp exit=0\nPowering off.\n"))
	p, _ = tr.phase()
	assert.Equal(t, "shutdown", p)
	assert.Equal(t, []string{"scenarios/xdp: === RUN   TestA", "scenarios/xdp: --- PASS: TestA (0.00s)"}, got)

	names := []string{}
	for _, ph := range tr.phases(time.Now()) {
		names = append(names, ph.Name)
	}
	assert.Equal(t, []string{"boot", "test", "shutdown"}, names)
}

func TestTrackerConsoleEndsBoot(t *testing.T) {
	tr := newTracker(time.Now(), nil)
	tr.scanConsole(strings.NewReader("[ 19.2] virtme-init: starting script\n[ 19.3] " + guest.MarkRun + "scenarios/xdp\n"))
	p, _ := tr.phase()
	assert.Equal(t, "test", p)
	assert.Equal(t, "running scenarios/xdp", tr.where())
}

func TestConsoleTail(t *testing.T) {
	var file bytes.Buffer
	c := newConsole(&file, 32)
	for i := 0; i < 20; i++ {
		_, _ = c.Write([]byte("line " + strings.Repeat("x", i%3) + "\n"))
	}
	_, _ = c.Write([]byte("Kernel panic - not syncing: VFS\n"))
	assert.Equal(t, "Kernel panic - not syncing: VFS", c.Tail(1))
	assert.True(t, c.Panicked())
	assert.Equal(t, 2, strings.Count(c.Tail(2), "\n")+1)
	assert.Contains(t, file.String(), "line \nline x\n") // the file keeps everything
}

func TestRunRejectsBadJobs(t *testing.T) {
	if Available() != nil {
		t.Skip("vng not installed: the checks after it cannot be reached")
	}
	dir := t.TempDir()
	tests := []struct {
		name string
		job  vm.Job
		want string
	}{
		{"no kernel", vm.Job{WorkDir: dir}, "needs a kernel image"},
		{"missing image", vm.Job{WorkDir: dir, Kernel: &vm.Kernel{Name: "6.1", Vmlinuz: filepath.Join(dir, "nope")}}, "kernel 6.1"},
		{"relative binary", vm.Job{WorkDir: dir, Kernel: &vm.Kernel{Name: "x", Vmlinuz: "/proc/self/exe"},
			Binaries: []vm.Binary{{Name: "b", Path: "rel.test"}}}, "must be absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("/bin/true").Run(context.Background(), tt.job)
			var pe *vm.PhaseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "setup", pe.Phase)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestBootRealKernel boots the kernel named by BPFLAB_VNG_VMLINUZ (a Debian
// vmlinuz with its modules tree next to it) and runs a shell through the
// guest runner. It takes 20 s to minutes under TCG, so it is opt-in.
func TestBootRealKernel(t *testing.T) {
	vmlinuz := os.Getenv("BPFLAB_VNG_VMLINUZ")
	if vmlinuz == "" {
		t.Skip("set BPFLAB_VNG_VMLINUZ to a kernel image to boot it with vng")
	}
	require.NoError(t, Available())
	dir := t.TempDir()
	runner := filepath.Join(dir, "bpflab")
	build := exec.Command("go", "build", "-o", runner, "github.com/bpflab/bpflab/cmd/bpflab")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	job := vm.Job{
		Kernel:   &vm.Kernel{Name: "test", Vmlinuz: vmlinuz},
		Binaries: []vm.Binary{{Name: "sh", Path: "/bin/sh", Args: []string{"-c", "grep -c veth /proc/modules; uname -r; exit 7"}}},
		Modules:  []string{"veth"},
		WorkDir:  dir,
		Timeout:  10 * time.Minute,
	}
	run, err := New(runner).Run(context.Background(), job)
	require.NoError(t, err)
	require.Len(t, run.Results, 1)
	assert.Equal(t, 7, run.Results[0].ExitCode)
	assert.Equal(t, "1\n"+run.Release+"\n", string(run.Results[0].Output))
	assert.FileExists(t, run.Console)
	t.Logf("accel %s, release %s, phases %v", run.Accel, run.Release, run.Phases)

	// A boot deadline shorter than any boot ends as a boot-phase error
	// with the console tail, and kills vng's whole process group.
	b := New(runner)
	b.Boot = 3 * time.Second
	start := time.Now()
	_, err = b.Run(context.Background(), job)
	var pe *vm.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boot", pe.Phase)
	assert.NotEmpty(t, pe.ConsoleTail)
	assert.Less(t, time.Since(start), 30*time.Second)
}
