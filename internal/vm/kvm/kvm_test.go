package kvm

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHasVirtFlag(t *testing.T) {
	assert.True(t, hasVirtFlag("processor: 0\nflags\t\t: fpu vme vmx sse\n"))
	assert.True(t, hasVirtFlag("flags\t\t: fpu svm\n"))
	assert.False(t, hasVirtFlag("flags\t\t: fpu vme sse vmxnot\n"))
	assert.False(t, hasVirtFlag("vmx\n")) // only the flags line counts
	assert.False(t, hasVirtFlag("vmx flags\t: svm\n"), "the key is exactly flags")
}

// TestProbeQemuAgreesWithCPUFlags runs the bounded qemu probe even when the
// flags already said no: on a host without vmx/svm it must fail fast, and
// where the flags are present and /dev/kvm opens it must succeed.
func TestProbeQemuAgreesWithCPUFlags(t *testing.T) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	if _, err := os.Stat("/dev/kvm"); err != nil {
		t.Skip("no /dev/kvm: the probe has nothing to try")
	}
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("read /proc/cpuinfo: %v", err)
	}
	start := time.Now()
	ok, why := probeQemu(context.Background(), "", 3*time.Second)
	t.Logf("probe: %v (%s) in %s", ok, why, time.Since(start).Round(time.Millisecond))
	if hasVirtFlag(string(cpuinfo)) {
		assert.True(t, ok, why)
		dev, devWhy := probeDevice()
		assert.True(t, dev, "qemu ran with KVM but the device probe says no: %s", devWhy)
	} else {
		assert.False(t, ok, "qemu ran with KVM although the CPU has no vmx/svm: %s", why)
		assert.Less(t, time.Since(start), 3*time.Second, "a broken KVM should make qemu exit at once")
	}
}
