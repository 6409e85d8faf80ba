package guest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

// mount is one filesystem the runner makes sure exists.
type mount struct {
	dir, fstype string
	required    bool // a failure stops the run (else it is only logged)
	pid1Only    bool // a running system has its own; never shadow it
}

// mounts are done in order: /proc first, because cilium/ebpf reads
// /proc/self/mountinfo while loading programs.
var mounts = []mount{
	{"/proc", "proc", true, true},
	{"/sys", "sysfs", true, true},
	{"/dev", "devtmpfs", true, true},
	{"/tmp", "tmpfs", true, true},
	{"/run", "tmpfs", false, true},
	{"/sys/fs/bpf", "bpf", true, false},
	{"/sys/kernel/tracing", "tracefs", true, false},
	{"/sys/kernel/debug", "debugfs", false, true},
	{"/sys/fs/cgroup", "cgroup2", false, true},
}

// mountAll mounts what is not mounted yet. As PID 1 nothing is; inside a
// running system (virtme-ng) only bpffs and tracefs are added if missing,
// so that e.g. an empty tmpfs never hides the system's /run.
func mountAll(logf func(string, ...any), pid1 bool) error {
	have := mountedDirs()
	for _, m := range mounts {
		if have[m.dir] || (m.pid1Only && !pid1) {
			continue
		}
		if m.fstype == "tmpfs" && hasEntries(m.dir) {
			// Files carried in the initramfs live there (a project in
			// /tmp/...: its testdata, objects to check). The initramfs
			// root is RAM-backed and writable already; never hide them.
			continue
		}
		err := os.MkdirAll(m.dir, 0o755)
		if err == nil {
			err = unix.Mount(m.fstype, m.dir, m.fstype, 0, "")
		}
		if err != nil && !errors.Is(err, unix.EBUSY) {
			err = fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
			if m.required {
				return err
			}
			logf("bpflab-guest: %v (continuing)", err)
		}
		if m.dir == "/proc" {
			have = mountedDirs()
		}
	}
	return nil
}

// hasEntries reports whether dir exists and is not empty.
func hasEntries(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

// mountedDirs lists mount points from /proc/self/mountinfo (empty if /proc
// is not mounted yet).
func mountedDirs() map[string]bool {
	dirs := map[string]bool{}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return dirs
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 4 {
			dirs[fields[4]] = true
		}
	}
	return dirs
}

// loopbackUp sets IFF_UP on lo, which starts down in a fresh kernel.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: set flags: %w", err)
	}
	return nil
}

// loadModules loads each module in order: a path with finit_module (the
// host already decompressed it and put dependencies first), a bare name
// with modprobe (which resolves dependencies itself).
func loadModules(mods []string, logf func(string, ...any)) error {
	for _, m := range mods {
		if !strings.Contains(m, "/") {
			out, err := exec.Command("modprobe", m).CombinedOutput()
			if err != nil {
				return fmt.Errorf("modprobe %s: %w: %s", m, err, strings.TrimSpace(string(out)))
			}
			continue
		}
		if err := finitModule(m); err != nil {
			return err
		}
	}
	return nil
}

func finitModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load module: %w", err)
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("load module %s: finit_module: %w", path, err)
	}
	return nil
}
