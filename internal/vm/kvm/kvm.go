// Package kvm decides whether a VM backend may use KVM: one probe for the
// qemu and virtme-ng backends alike.
package kvm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	kvmGetAPIVersion = 0xae00
	kvmCreateVM      = 0xae01
	kvmAPIVersion    = 12
)

// Probe reports whether KVM can run a guest here, and if not, why. A
// /dev/kvm that opens is not enough: some nested setups answer the API
// version but have no vmx/svm, and qemu then aborts ("failed to set MSR")
// or the guest hangs. So it checks the CPU flags, the KVM API version and
// that a VM can be created; with settle > 0 it then also starts qemu (the
// binary named, "" for qemu-system-x86_64) with KVM for settle: still
// running then means usable. The qemu backend needs no test boot (it falls
// back to TCG itself when a vCPU fails to start); virtme-ng does.
func Probe(ctx context.Context, qemu string, settle time.Duration) (bool, string) {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false, fmt.Sprintf("read /proc/cpuinfo: %v", err)
	}
	if !hasVirtFlag(string(cpuinfo)) {
		return false, "the CPU flags in /proc/cpuinfo have neither vmx nor svm"
	}
	if ok, why := probeDevice(); !ok || settle <= 0 {
		return ok, why
	}
	return probeQemu(ctx, qemu, settle)
}

// probeDevice asks /dev/kvm for its API version and a VM.
func probeDevice() (bool, string) {
	fd, err := unix.Open("/dev/kvm", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Sprintf("open /dev/kvm: %v", err)
	}
	defer unix.Close(fd)
	v, err := unix.IoctlRetInt(fd, kvmGetAPIVersion)
	if err != nil || v != kvmAPIVersion {
		return false, fmt.Sprintf("KVM_GET_API_VERSION = %d, %v (want %d)", v, err, kvmAPIVersion)
	}
	vm, err := unix.IoctlRetInt(fd, kvmCreateVM)
	if err != nil {
		return false, fmt.Sprintf("KVM_CREATE_VM: %v", err)
	}
	unix.Close(vm)
	return true, ""
}

// hasVirtFlag reports whether the "flags" line of /proc/cpuinfo lists vmx
// (Intel) or svm (AMD).
func hasVirtFlag(cpuinfo string) bool {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "flags" {
			continue
		}
		for _, f := range strings.Fields(v) {
			if f == "vmx" || f == "svm" {
				return true
			}
		}
	}
	return false
}

// probeQemu starts qemu with KVM and the CPU model vng uses; a broken KVM
// makes it exit at once. It is killed after settle either way.
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
