package hardening

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/privilege"
)

// requireCapBPF skips where the kernel has no CAP_BPF (probed, older than
// 5.8: least privilege means CAP_SYS_ADMIN there) and fails where a kernel
// new enough lacks it. The privilege package must agree with the probe.
func requireCapBPF(t *testing.T) {
	t.Helper()
	probe.Skip(t, probe.CapBPF)
	has, err := privilege.KernelHasCapBPF()
	require.NoError(t, err)
	require.True(t, has, "the probe found CAP_BPF but privilege.KernelHasCapBPF does not")
}

func TestLeastPrivilegeXDP(t *testing.T) {
	testenv.Setup(t)
	requireCapBPF(t)
	topo := netlab.New(t)
	ifindex := strconv.Itoa(topo.DUTIndex)

	for _, tc := range []struct {
		name    string
		caps    []privilege.Cap
		missing string
	}{
		{"CAP_BPF+CAP_NET_ADMIN+CAP_PERFMON", []privilege.Cap{privilege.CapBPF, privilege.CapNetAdmin, privilege.CapPerfmon}, ""},
		// The seed article's claim: CAP_BPF and CAP_NET_ADMIN are enough.
		{"CAP_BPF+CAP_NET_ADMIN", []privilege.Cap{privilege.CapBPF, privilege.CapNetAdmin}, "missing CAP_PERFMON"},
		{"without CAP_NET_ADMIN", []privilege.Cap{privilege.CapBPF, privilege.CapPerfmon}, "missing CAP_NET_ADMIN"},
		{"without CAP_BPF", []privilege.Cap{privilege.CapNetAdmin, privilege.CapPerfmon}, "missing CAP_BPF"},
		{"no capabilities", nil, "missing CAP_BPF and CAP_NET_ADMIN and CAP_PERFMON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var result string
			var runErr error
			// The child is forked from a thread inside the DUT namespace, so it
			// sees dut0 without needing CAP_SYS_ADMIN for setns.
			require.NoError(t, topo.DUT.Do(func() error {
				result, runErr = runChild(t, "xdp", ifindex, tc.caps...)
				return nil
			}))
			if tc.missing == "" {
				require.NoError(t, runErr)
				require.Equal(t, "ok", result)
				return
			}
			require.Error(t, runErr)
			require.Contains(t, result, tc.missing)
		})
	}
}

// The kernel itself, not only our pre-check, must refuse: this child loads
// without calling privilege.Check, and the EPERM is explained afterwards.
func TestKernelRefusesWithoutCapBPF(t *testing.T) {
	testenv.Setup(t)
	requireCapBPF(t)
	result, err := runChild(t, "load-firewall-unchecked", "", privilege.CapNetAdmin)
	require.Error(t, err)
	require.Contains(t, result, "missing CAP_BPF")
	require.Contains(t, result, "operation not permitted")
}

// Why the firewall needs CAP_PERFMON: without it the verifier itself refuses
// the IHL-bounded header access. The log is shown, not just EACCES.
func TestVerifierNeedsPerfmonForPacketArithmetic(t *testing.T) {
	testenv.Setup(t)
	requireCapBPF(t)
	result, err := runChild(t, "load-firewall-unchecked", "", privilege.CapBPF, privilege.CapNetAdmin)
	require.Error(t, err)
	require.Contains(t, result, "missing CAP_PERFMON")
	// 5.10 already refuses the Ethernet bounds check ("R6 pointer comparison
	// prohibited"); later kernels refuse the IHL-sized step ("pointer
	// arithmetic with it prohibited for !root"). Both are the verifier's
	// !perfmon_capable() Spectre rules, shown with the log.
	require.Contains(t, result, "prohibited")
	require.Contains(t, result, "processed")
}

func TestLeastPrivilegeTracing(t *testing.T) {
	testenv.Setup(t)
	requireCapBPF(t)
	for _, tc := range []struct {
		name    string
		caps    []privilege.Cap
		missing string
	}{
		{"CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH", []privilege.Cap{privilege.CapBPF, privilege.CapPerfmon, privilege.CapDACReadSearch}, ""},
		// tracefs is root-only by default: the tracepoint id cannot be read.
		{"CAP_BPF+CAP_PERFMON", []privilege.Cap{privilege.CapBPF, privilege.CapPerfmon}, "missing CAP_DAC_READ_SEARCH"},
		{"without CAP_PERFMON", []privilege.Cap{privilege.CapBPF}, "missing CAP_PERFMON"},
		{"without CAP_BPF", []privilege.Cap{privilege.CapPerfmon}, "missing CAP_BPF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.missing == "" {
				allowPerfmonTracing(t, tc.caps)
			}
			result, err := runChild(t, "tracing", "", tc.caps...)
			if tc.missing == "" {
				require.NoError(t, err)
				require.Equal(t, "ok", result)
				return
			}
			require.Error(t, err)
			require.Contains(t, result, tc.missing)
		})
	}
}

func TestPinnedMapsClosedToOtherUsers(t *testing.T) {
	testenv.Setup(t)
	requireCapBPF(t)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-hardening-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	fw, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { fw.Close() })

	pins, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.NotEmpty(t, pins)
	for _, p := range pins {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Zero(t, fi.Mode().Perm()&0o077, "pin %s is mode %v: others could open it", p, fi.Mode().Perm())
	}

	// Even with CAP_BPF, another user cannot open root's pins: bpffs checks
	// file permissions, and CAP_BPF does not override them.
	result, err := runChild(t, "open-pin", pins[0], privilege.CapBPF)
	require.Error(t, err)
	require.Contains(t, result, "permission denied")

	// Sanity check that the child could open it if permissions allowed.
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(pins[0], 0o666))
	result, err = runChild(t, "open-pin", pins[0], privilege.CapBPF)
	require.NoError(t, err, result)
}

func TestUnprivilegedBPFSettingRespected(t *testing.T) {
	testenv.Setup(t)
	setting, err := privilege.UnprivilegedBPFDisabled()
	require.NoError(t, err)
	t.Logf("kernel.unprivileged_bpf_disabled = %d", setting)
	result, err := runChild(t, "socket-filter", "")
	if setting == 0 {
		require.NoError(t, err, "unprivileged_bpf_disabled=0 allows socket filters without capabilities: %s", result)
		return
	}
	require.Error(t, err, "unprivileged_bpf_disabled=%d must refuse a user without capabilities", setting)
	require.Contains(t, result, "operation not permitted")
}

// allowPerfmonTracing handles Debian's perf_event_paranoid=3 patch: there the
// least-privilege set is refused by name (asserted), and the test lowers the
// setting to 2 for itself, restoring it afterwards, to prove the set then works.
func allowPerfmonTracing(t *testing.T, caps []privilege.Cap) {
	t.Helper()
	p, err := privilege.PerfEventParanoid()
	require.NoError(t, err)
	if p < 3 {
		return
	}
	result, err := runChild(t, "tracing", "", caps...)
	require.Error(t, err)
	require.Contains(t, result, "perf_event_paranoid")
	const knob = "/proc/sys/kernel/perf_event_paranoid"
	require.NoError(t, os.WriteFile(knob, []byte("2"), 0o644))
	t.Cleanup(func() { _ = os.WriteFile(knob, []byte(strconv.Itoa(p)), 0o644) })
	t.Logf("kernel.perf_event_paranoid=%d refused CAP_PERFMON as expected; lowered to 2 for this test", p)
}
