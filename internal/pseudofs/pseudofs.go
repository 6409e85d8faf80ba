// Package pseudofs mounts the kernel's pseudo filesystems BPF work needs
// (bpffs, tracefs) where they are missing, for the CLI and the test
// environment alike.
package pseudofs

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Standard mount points.
const (
	BPFFS   = "/sys/fs/bpf"
	Tracefs = "/sys/kernel/tracing"
)

// Ensure mounts a filesystem of type fstype at dir unless one is mounted
// there already, and reports whether it mounted one.
func Ensure(dir, fstype string) (bool, error) {
	mounted, err := IsMounted(dir, fstype)
	if err != nil || mounted {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("create %s mount point %s: %w", fstype, dir, err)
	}
	if err := unix.Mount(fstype, dir, fstype, 0, ""); err != nil {
		return false, fmt.Errorf("mount %s at %s: %w", fstype, dir, err)
	}
	return true, nil
}

// IsMounted reports whether a filesystem of type fstype is mounted at dir
// in this process's mount namespace.
func IsMounted(dir, fstype string) (bool, error) {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false, fmt.Errorf("read /proc/self/mounts (is /proc mounted?): %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == dir && f[2] == fstype {
			return true, nil
		}
	}
	return false, nil
}

// PrivateMountNS reports whether this process runs in a mount namespace
// of its own, as under `ip netns exec` (which also remounts /sys and so
// hides /sys/fs/bpf). A bpffs mounted there dies with the namespace, and
// with it every pin. It compares with PID 1's namespace, or, where that is
// hidden (containers, some VMs), with the parent process's; unknown is
// false.
func PrivateMountNS() bool {
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return false
	}
	for _, other := range []string{"/proc/1/ns/mnt", fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid())} {
		if ns, err := os.Readlink(other); err == nil {
			return ns != self
		}
	}
	return false
}
