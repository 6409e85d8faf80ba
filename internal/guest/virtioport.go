package guest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// VirtioPortPrefix marks a Spec.ResultsPort that names a virtio-serial port
// (qemu's `virtserialport,name=NAME`) instead of a device path: machines
// without a second UART (arm64 virt, s390x) carry results there.
const VirtioPortPrefix = "virtio:"

// virtioPortWait bounds the wait for the port's device after its driver
// loaded: probing is asynchronous, and under TCG it takes a while.
const virtioPortWait = 20 * time.Second

// sysVirtioPorts lists virtio-serial ports with their names (sysfs attribute
// "name"); there is no udev in the guest to make /dev/virtio-ports links.
const sysVirtioPorts = "/sys/class/virtio-ports"

// resolvePort turns a ResultsPort into a device path, waiting for a named
// virtio port to appear.
func resolvePort(port string) (string, error) {
	name, ok := strings.CutPrefix(port, VirtioPortPrefix)
	if !ok {
		return port, nil
	}
	deadline := time.Now().Add(virtioPortWait)
	for {
		if dev, ok := findVirtioPort(sysVirtioPorts, name); ok {
			path := filepath.Join("/dev", dev)
			if _, err := os.Stat(path); err == nil {
				return path, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("virtio port %q did not appear under %s within %s (is virtio_console loaded, and the device on qemu's command line?)",
				name, sysVirtioPorts, virtioPortWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findVirtioPort returns the device name (e.g. "vport0p1") whose sysfs name
// attribute is name.
func findVirtioPort(sysDir, name string) (string, bool) {
	ents, err := os.ReadDir(sysDir)
	if err != nil {
		return "", false
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(sysDir, e.Name(), "name"))
		if err == nil && strings.TrimSpace(string(b)) == name {
			return e.Name(), true
		}
	}
	return "", false
}
