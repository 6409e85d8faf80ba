package qemu

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/guest"
)

func TestMachinePerArch(t *testing.T) {
	tests := []struct {
		arch, bin, console, port string
		want                     []string // substrings of the joined args
	}{
		{"amd64", "qemu-system-x86_64", "ttyS0", "/dev/ttyS1", []string{"-M q35", "-cpu host", "-accel kvm", "-serial chardev:res"}},
		{"arm64", "qemu-system-aarch64", "ttyAMA0", guest.VirtioPortPrefix + resultsPortName,
			[]string{"-M virt", "-cpu cortex-a72", "-accel tcg,thread=single", "virtserialport,chardev=res,name=bpflab.results"}},
		{"s390x", "qemu-system-s390x", "ttysclp0", guest.VirtioPortPrefix + resultsPortName,
			[]string{"-M s390-ccw-virtio", "sclpconsole,chardev=con", "-device virtio-serial-ccw", "-accel tcg,thread=single"}},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			// KVM asked for: only the host's own architecture gets it.
			bin, args, console, err := MachineArgs(tt.arch, "kvm")
			require.NoError(t, err)
			assert.Equal(t, tt.bin, bin)
			assert.Equal(t, tt.console, console)
			joined := strings.Join(args, " ")
			for _, w := range tt.want {
				assert.Contains(t, joined, w)
			}
			m, err := machineFor(tt.arch)
			require.NoError(t, err)
			assert.Equal(t, tt.port, m.resultsPort)
			assert.Equal(t, tt.arch == "amd64", m.pvh, "PVH is x86 only")
		})
	}
	_, err := machineFor("riscv64")
	assert.ErrorContains(t, err, `no qemu machine for architecture "riscv64" (known: amd64, arm64, s390x)`)
}
