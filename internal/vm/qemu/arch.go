package qemu

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/bpflab/bpflab/internal/guest"
)

// machine is how one architecture boots: the qemu binary, the machine and
// CPU, where the console and the results channel go, and what the guest
// must load before it can write results.
type machine struct {
	qemu string // qemu-system-* binary
	// args are the machine-specific options; con and res are the chardev
	// ids of the console and the results channel.
	args func(cpu string) []string
	// tcgCPU is the -cpu model under TCG. arm64 uses cortex-a72: "max"
	// emulates pointer authentication in full (QARMA), measured 3.4x
	// slower to boot here (11.1 s vs 3.25 s).
	tcgCPU string
	// console is the kernel's console= device.
	console string
	// resultsPort is guest.Spec.ResultsPort.
	resultsPort string
	// portModules are the modules the results port needs (loaded by the
	// guest before it opens the port) when the kernel has them as modules.
	portModules []string
	// pvh: the kernel may boot as an uncompressed vmlinux through its PVH
	// entry (x86 only; other architectures boot their image directly).
	pvh bool
	// cmdline is appended to the kernel command line. Only parameters the
	// architecture's kernel knows: an unknown one without "=" would reach
	// /init as an argument.
	cmdline string
}

// resultsPortName is the virtio-serial port name the guest looks for.
const resultsPortName = "bpflab.results"

var machines = map[string]machine{
	"amd64": {
		qemu: "qemu-system-x86_64",
		args: func(cpu string) []string {
			return []string{"-M", "q35", "-cpu", cpu,
				"-chardev", "file,id=con,path=/dev/fd/3", "-serial", "chardev:con",
				"-chardev", "file,id=res,path=/dev/fd/4", "-serial", "chardev:res"}
		},
		tcgCPU:      "max",
		console:     "ttyS0",
		resultsPort: "/dev/ttyS1", // q35 wires a second 8250; Debian builds 8250 in
		pvh:         true,
		// no_timer_check: under TCG on a loaded host the kernel's IO-APIC
		// timer test can miss its ticks and panic ("IO-APIC + timer doesn't
		// work"; 5.10 did once with a load average of 25 on 2 cores).
		cmdline: "no_timer_check",
	},
	// arm64 virt has one PL011 for the non-secure world; results travel on
	// a virtio-serial port over virtio-mmio (both modules in Debian).
	"arm64": {
		qemu: "qemu-system-aarch64",
		args: func(cpu string) []string {
			return []string{"-M", "virt", "-cpu", cpu,
				"-chardev", "file,id=con,path=/dev/fd/3", "-serial", "chardev:con",
				"-device", "virtio-serial-device",
				"-chardev", "file,id=res,path=/dev/fd/4",
				"-device", "virtserialport,chardev=res,name=" + resultsPortName}
		},
		tcgCPU:      "cortex-a72",
		console:     "ttyAMA0",
		resultsPort: guest.VirtioPortPrefix + resultsPortName,
		portModules: []string{"virtio_mmio", "virtio_console"},
	},
	// s390x: the console is SCLP's VT220 (built in); results use
	// virtio-serial over CCW (the transport is built in, virtio_console a
	// module).
	"s390x": {
		qemu: "qemu-system-s390x",
		args: func(cpu string) []string {
			return []string{"-M", "s390-ccw-virtio", "-cpu", cpu,
				"-serial", "none",
				"-chardev", "file,id=con,path=/dev/fd/3", "-device", "sclpconsole,chardev=con",
				"-device", "virtio-serial-ccw",
				"-chardev", "file,id=res,path=/dev/fd/4",
				"-device", "virtserialport,chardev=res,name=" + resultsPortName}
		},
		tcgCPU:      "max",
		console:     "ttysclp0",
		resultsPort: guest.VirtioPortPrefix + resultsPortName,
		portModules: []string{"virtio_console"},
	},
}

// machineFor returns the machine of a GOARCH ("" = amd64).
func machineFor(arch string) (machine, error) {
	if arch == "" {
		arch = "amd64"
	}
	m, ok := machines[arch]
	if !ok {
		known := make([]string, 0, len(machines))
		for a := range machines {
			known = append(known, a)
		}
		sort.Strings(known)
		return machine{}, fmt.Errorf("no qemu machine for architecture %q (known: %s)", arch, strings.Join(known, ", "))
	}
	return m, nil
}

// foreign reports whether arch differs from the host's: KVM cannot run it,
// so it always boots under TCG.
func foreign(arch string) bool {
	if arch == "" {
		arch = "amd64"
	}
	return arch != runtime.GOARCH
}

// MachineArgs returns the qemu binary and the machine options the backend
// uses for a kernel of goarch ("" = amd64): machine, CPU, console on fd 3
// and results channel on fd 4 (give the command both as ExtraFiles), and
// the kernel's console device. Benchmarks boot bare kernels with it so
// their floor is the backend's own machine.
func MachineArgs(goarch, accel string) (bin string, args []string, console string, err error) {
	m, err := machineFor(goarch)
	if err != nil {
		return "", nil, "", err
	}
	cpu := m.tcgCPU
	if accel == "kvm" && !foreign(goarch) {
		cpu = "host"
	} else {
		accel = "tcg"
	}
	args = append([]string{"-nodefaults", "-display", "none", "-no-reboot", "-accel", AccelArg(accel)}, m.args(cpu)...)
	return m.qemu, args, m.console, nil
}
