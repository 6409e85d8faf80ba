package kernelbtf

import (
	"errors"
	"fmt"
	"os"
)

// EnvFile names a detached BTF file that describes the running kernel when
// the kernel has none of its own (built without CONFIG_DEBUG_INFO_BTF). The
// qemu backend puts the file generated from the kernel's -dbg package at
// /boot/vmlinux-<release>, where cilium/ebpf's kernel-spec lookup (and
// libbpf's) finds it after /sys/kernel/btf/vmlinux, and sets this variable
// so reports can say where the types came from.
const EnvFile = "BPFLAB_KERNEL_BTF"

// SysFile is where a kernel built with BTF exposes it.
const SysFile = "/sys/kernel/btf/vmlinux"

// Source says where the running kernel's BTF comes from: SysFile, or the
// external file named by EnvFile. ok is false when there is none.
func Source() (path string, ok bool, err error) {
	if _, err := os.Stat(SysFile); err == nil {
		return SysFile, true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("stat %s: %w", SysFile, err)
	}
	p := os.Getenv(EnvFile)
	if p == "" {
		return "", false, nil
	}
	if _, err := os.Stat(p); err != nil {
		return "", false, fmt.Errorf("$%s: %w", EnvFile, err)
	}
	return p, true, nil
}
