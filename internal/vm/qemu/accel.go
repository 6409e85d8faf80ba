package qemu

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	kvmGetAPIVersion = 0xae00
	kvmCreateVM      = 0xae01
	kvmAPIVersion    = 12
)

// ProbeKVM reports whether KVM can run a guest here, and if not, why. A
// /dev/kvm that opens is not enough: some nested setups answer the API
// version but have no vmx/svm, and qemu then hangs or aborts.
func ProbeKVM() (bool, string) {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false, fmt.Sprintf("read /proc/cpuinfo: %v", err)
	}
	if !hasVirtFlag(cpuinfo) {
		return false, "the CPU flags in /proc/cpuinfo have neither vmx nor svm"
	}
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

func hasVirtFlag(cpuinfo []byte) bool {
	for _, line := range bytes.Split(cpuinfo, []byte("\n")) {
		k, v, ok := strings.Cut(string(line), ":")
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
