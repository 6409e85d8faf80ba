package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Excerpts of real splats (6.1 under qemu, upstream reports).
const (
	softLockup = `[   12.104512] watchdog: BUG: soft lockup - CPU#0 stuck for 3s! [failmode:71]
[   12.104999] Modules linked in:
[   12.105100] CPU: 0 PID: 71 Comm: failmode Not tainted 6.1.0-56-amd64 #1  Debian 6.1.192-2
[   12.105400] RIP: 0010:bpf_loop+0x5a/0xa0`
	warnOnce = `[    3.000001] ------------[ cut here ]------------
[    3.000002] WARNING: CPU: 1 PID: 1 at net/core/dev.c:1234 dev_xdp_attach+0x1/0x2
[    3.000003] Call Trace:
[    3.000004] ---[ end trace 0000000000000000 ]---
[    3.000005] veth: link up`
	hung = `[  250.1] INFO: task kworker/0:1:12 blocked for more than 120 seconds.
[  250.2]       Not tainted 6.12.118+deb13-amd64 #1`
	rcu      = `[  30.0] rcu: INFO: rcu_preempt self-detected stall on CPU`
	rcuStall = `[  30.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:`
	clean    = `[    0.000000] Linux version 6.1.0-56-amd64
[    0.100000] BUG_ON tests are compiled in
[    1.000000] Run /init as init process
[    1.2] WARNING_LEVEL is a word in a message, not a splat
[    1.5] ubsan: no UBSAN: here
[    0.265799] Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.
[    0.3] Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!
[    0.4] WARNING: a message at the left margin without a location`
	lockdep = `[   5.0] WARNING: possible circular locking dependency detected
[   5.1] 6.1.0 #1 Not tainted`
	newWarn = `[   7.0] WARNING: kernel/bpf/core.c:42 at bpf_prog_x+0x10/0x20, CPU#1: failmode/71`
)

func TestScanSplats(t *testing.T) {
	got := ScanSplats(clean + "\n" + softLockup + "\n" + warnOnce + "\n" + hung + "\n" + rcuStall + "\n" + rcu + "\n" + lockdep + "\n" + newWarn)
	var kinds []string
	for _, s := range got {
		kinds = append(kinds, s.Kind)
	}
	assert.Equal(t, []string{"BUG: soft lockup", "WARNING", "hung task", "RCU stall", "RCU stall", "lockdep", "WARNING"}, kinds)
	require.Len(t, got, 7)
	assert.Contains(t, got[0].Text, "RIP: 0010:bpf_loop", "the report keeps the lines after the first")
	assert.Contains(t, got[1].Text, "end trace")
	assert.NotContains(t, got[1].Text, "veth: link up", "a splat ends at its end marker")
	assert.Empty(t, ScanSplats(clean), "words like WARNING_LEVEL are not splats")
}

func TestSplatFailsKernel(t *testing.T) {
	m := sampleMatrix()
	m.Kernels = m.Kernels[:1]
	require.False(t, m.Failed())
	m.Kernels[0].Splats = ScanSplats(warnOnce)
	require.Len(t, m.Kernels[0].Splats, 1)
	assert.True(t, m.Failed(), "a splat fails its kernel although every test passed")
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, m))
	assert.Contains(t, buf.String(), "1 kernel splat(s)")
	assert.Contains(t, buf.String(), "Kernel splats:\n  host WARNING: FAILS the kernel\n      | [    3.000002] WARNING: CPU: 1 PID: 1 at net/core/dev.c:1234")
	buf.Reset()
	require.NoError(t, WriteJUnit(&buf, m))
	assert.Contains(t, buf.String(), `name="splat: WARNING"`)
	assert.Contains(t, buf.String(), `net/core/dev.c:1234`)

	m.Kernels[0].Splats[0].Allowed = "known noise"
	assert.False(t, m.Failed(), "an allowed splat is shown, not failed")
	buf.Reset()
	require.NoError(t, WriteTable(&buf, m))
	assert.Contains(t, buf.String(), "host WARNING: allowed (known noise)")
}
