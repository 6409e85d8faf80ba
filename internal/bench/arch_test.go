package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/vm/qemu"
)

// envArchKernels lists the foreign-architecture kernels whose bare-boot
// floor BenchmarkArchFloor measures (default: every one in the manifest).
const envArchKernels = "BPFLAB_BENCH_ARCH_KERNELS"

// BenchmarkArchFloor boots each foreign-architecture kernel (arm64, s390x:
// always TCG here) on the backend's machine for its architecture with a
// cross-built poweroff /init, and reports the wall and CPU time from qemu
// start to exit, next to the host architecture's PVH floor measured in the
// same run by BenchmarkBackends.
func BenchmarkArchFloor(b *testing.B) {
	root, err := filepath.Abs(repoRoot)
	require.NoError(b, err)
	man, err := kernel.LoadManifest(filepath.Join(root, "kernels", "manifest"))
	require.NoError(b, err)
	lock, err := kernel.LoadLock(filepath.Join(root, "kernels", "lock.json"))
	require.NoError(b, err)
	store, err := kernel.NewStore(kernel.Options{Manifest: man, Lock: lock, Log: os.Stderr})
	require.NoError(b, err)
	var names []string
	if v := os.Getenv(envArchKernels); v != "" {
		names = strings.Split(v, ",")
	} else {
		for _, e := range man.Entries {
			if e.Kind == kernel.KindDebian && e.GoArch() != runtime.GOARCH {
				names = append(names, e.Name)
			}
		}
	}
	if len(names) == 0 {
		b.Skip("no foreign-architecture kernel in the manifest")
	}
	dir := b.TempDir()
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			img, err := store.Ensure(ctx, name)
			require.NoError(b, err, "kernel %s", name)
			arch := img.Kernel.GoArch()
			bin, args, console, err := qemu.MachineArgs(arch, "tcg")
			require.NoError(b, err)
			if _, err := exec.LookPath(bin); err != nil {
				b.Skipf("%s not installed (scripts/setup installs qemu-system-arm and qemu-system-misc)", bin)
			}
			poweroff := filepath.Join(dir, "poweroff-"+arch)
			build := exec.Command("go", "build", "-o", poweroff, "./internal/bench/testdata/poweroff")
			build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+arch)
			out, err := build.CombinedOutput()
			require.NoError(b, err, "build poweroff for %s: %s", arch, out)
			rd, err := initramfs.Build(filepath.Join(dir, "initramfs-"+arch), []initramfs.Entry{{Name: "init", Source: poweroff, Mode: 0o755}})
			require.NoError(b, err)
			var ss []sample
			for b.Loop() {
				ss = append(ss, archBoot(b, bin, args, console, img.Kernel.Vmlinuz, rd, filepath.Join(dir, name+"-console.log")))
			}
			wall, cpu := median(ss) // a busy machine stretches single boots
			b.ReportMetric(wall, "s/bare-boot")
			b.ReportMetric(cpu, "cpu-s/bare-boot")
		})
	}
}

func archBoot(tb testing.TB, bin string, args []string, console, image, initrd, conPath string) sample {
	ctx, cancel := context.WithTimeout(context.Background(), bootDeadline)
	defer cancel()
	con, err := os.Create(conPath)
	require.NoError(tb, err)
	defer con.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(tb, err)
	defer null.Close()
	cmd := exec.CommandContext(ctx, bin, append(args, "-m", "1G", "-smp", "2",
		"-kernel", image, "-initrd", initrd, "-append", "console="+console+" panic=-1 quiet rdinit=/init")...)
	cmd.ExtraFiles = []*os.File{con, null}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	log, _ := os.ReadFile(conPath)
	require.NoError(tb, ctx.Err(), "bare boot of %s did not power off within %v; console:\n%s", image, bootDeadline, tail(log))
	require.NoError(tb, err, "qemu: %s", stderr.String())
	// s390x's SCLP console loses the kernel's last "reboot: Power down"
	// line, so the check is the other way round: /init missing, or its
	// power-off failing, panics the kernel (which -no-reboot ends), and
	// the panic is printed.
	require.NotContains(tb, string(log), "Kernel panic", "bare boot of %s did not power off cleanly; console:\n%s", image, tail(log))
	require.NotContains(tb, string(log), "poweroff:", "the poweroff /init failed; console:\n%s", tail(log))
	return sample{took, cpuOf(cmd)}
}
