package vng

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ProbeKVM reports whether hardware virtualisation is usable, and if not,
// why. /dev/kvm existing is not enough: on nested setups without vmx/svm it
// answers ioctls but qemu aborts ("failed to set MSR") or the guest hangs.
// So it checks the CPU flags, opens /dev/kvm, and then starts a qemu with
// KVM for a bounded time: still running after settle means usable.
func ProbeKVM(ctx context.Context, qemu string, settle time.Duration) (bool, string) {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false, fmt.Sprintf("read /proc/cpuinfo: %v", err)
	}
	if !hasVirtFlag(string(cpuinfo)) {
		return false, "no vmx/svm flag in /proc/cpuinfo"
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Sprintf("open /dev/kvm: %v", err)
	}
	f.Close()
	return probeQemu(ctx, qemu, settle)
}

func hasVirtFlag(cpuinfo string) bool {
	for _, line := range strings.Split(cpuinfo, "\n") {
		if !strings.HasPrefix(line, "flags") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if f == "vmx" || f == "svm" {
				return true
			}
		}
	}
	return false
}

// probeQemu starts qemu with KVM and the same CPU model vng uses; a broken
// KVM makes it exit at once. It is killed after settle either way.
func probeQemu(ctx context.Context, qemu string, settle time.Duration) (bool, string) {
	if qemu == "" {
		qemu = "qemu-system-x86_64"
	}
	pctx, cancel := context.WithTimeout(ctx, settle)
	defer cancel()
	cmd := exec.CommandContext(pctx, qemu, "-machine", "q35,accel=kvm", "-cpu", "max", "-m", "64",
		"-nodefaults", "-display", "none", "-no-reboot")
	out, err := cmd.CombinedOutput()
	if pctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return true, fmt.Sprintf("qemu with KVM ran for %s", settle)
	}
	if err == nil {
		err = fmt.Errorf("exited")
	}
	return false, fmt.Sprintf("%s with KVM failed: %v: %s", qemu, err, lastLine(string(out)))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
