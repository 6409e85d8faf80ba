package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/pseudofs"
)

// DefaultPinRoot is where attach pins a firewall per interface.
const DefaultPinRoot = pseudofs.BPFFS + "/bpflab"

// target is the interface a command acts on and its pin dir.
type target struct {
	iface   *net.Interface
	pinDir  string
	pinRoot string
}

// lookupIface resolves name in the calling process's network namespace.
func lookupIface(name string) (*net.Interface, error) {
	if name == "" {
		return nil, command.Usagef("no interface given: pass --iface NAME")
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, command.Usagef("unknown interface %q in this network namespace (see `ip link`): %v", name, err)
	}
	return ifc, nil
}

// onBPFFS checks that dir (or, if it does not exist yet, its nearest
// existing parent) lies on a mounted bpffs.
func onBPFFS(dir string) error {
	probe := dir
	for {
		var st unix.Statfs_t
		err := unix.Statfs(probe, &st)
		if err == nil {
			if st.Type != unix.BPF_FS_MAGIC {
				if pseudofs.PrivateMountNS() {
					return command.Usagef("%s is not on a bpffs mount: %s", dir, privateNSHint)
				}
				return command.Usagef("%s is not on a bpffs mount (bpffs not mounted?): mount it with `mount -t bpf bpf %s` or pass --pin-root DIR inside bpffs", dir, pseudofs.BPFFS)
			}
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("statfs %s: %w", probe, err)
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return command.Usagef("%s: no such directory", dir)
		}
		probe = parent
	}
}

// attached resolves an interface that must have a pinned firewall.
func attached(pinRoot, ifname string) (target, error) {
	ifc, err := lookupIface(ifname)
	if err != nil {
		return target{}, err
	}
	if err := onBPFFS(pinRoot); err != nil {
		return target{}, err
	}
	t := target{iface: ifc, pinRoot: pinRoot, pinDir: filepath.Join(pinRoot, ifc.Name)}
	if _, err := os.Stat(t.pinDir); errors.Is(err, os.ErrNotExist) {
		return target{}, command.Usagef("nothing attached to %s (no pins in %s): run `bpflab firewall attach --iface %s` first", ifc.Name, t.pinDir, ifc.Name)
	} else if err != nil {
		return target{}, &command.UsageError{Err: fmt.Errorf("pin dir %s: %w", t.pinDir, err)}
	}
	return t, nil
}

// defaultIface picks the only interface with a pinned firewall, so policy
// commands need no --iface in the common one-interface case.
func defaultIface(pinRoot string) (string, error) {
	if err := onBPFFS(pinRoot); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(pinRoot)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", &command.UsageError{Err: fmt.Errorf("read %s: %w", pinRoot, err)}
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	switch len(names) {
	case 0:
		return "", command.Usagef("nothing attached (no firewall pinned under %s): run `bpflab firewall attach --iface IF` first", pinRoot)
	case 1:
		return names[0], nil
	}
	return "", command.Usagef("firewalls are attached to %s: pass --iface", strings.Join(names, ", "))
}

// mkdirPrivate creates dir with mode 0700 whatever the umask.
func mkdirPrivate(dir string) (created bool, err error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create pin dir %s: %w", dir, err)
	}
	return true, os.Chmod(dir, 0o700)
}

// privateNSHint explains a missing bpffs in a private mount namespace.
const privateNSHint = "this process runs in its own mount namespace (e.g. `ip netns exec`, which remounts /sys and hides " +
	pseudofs.BPFFS + "), where pins would vanish when bpflab exits; enter only the network namespace instead: " +
	"`nsenter --net=/run/netns/NAME bpflab ...`"
