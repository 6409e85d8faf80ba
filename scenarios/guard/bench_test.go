package guard

import (
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/guard"
)

// BenchmarkGuardBPFSyscall measures what the guard adds to bpf(2), as
// ratios of the same call loop with the guard on and off, in one run:
//   - gated: BPF_OBJ_GET of a missing pin, a command the guard judges (scope
//     walk, executable identity, allowlist lookup) before the kernel fails
//     it with ENOENT, so the guard's share is as large as it can be;
//   - ungated: BPF_MAP_LOOKUP_ELEM on an array, which the guard lets through
//     at its command switch.
//
// On and off alternate for 3 rounds; each phase makes max(b.N, 2000) calls
// of each kind. Inside a VM the guard is system-wide and this process is a
// trusted loader; on a host (cgroup scope) this process is outside the
// scope, so the numbers are the out-of-scope cost.
func BenchmarkGuardBPFSyscall(b *testing.B) {
	e := newEnv(b)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	require.NoError(b, err)
	defer m.Close()
	calls := max(b.N, 2000)
	missing := []byte(e.pinDir + "-missing\x00")
	var (
		key   uint32
		value uint64
	)
	getAttr := struct {
		pathname  uint64
		bpfFD     uint32
		fileFlags uint32
	}{pathname: uint64(uintptr(unsafe.Pointer(&missing[0])))}
	lookupAttr := struct {
		mapFD uint32
		_     uint32
		key   uint64
		value uint64
		flags uint64
	}{mapFD: uint32(m.FD()), key: uint64(uintptr(unsafe.Pointer(&key))), value: uint64(uintptr(unsafe.Pointer(&value)))}
	loop := func(cmd uintptr, attr unsafe.Pointer, size uintptr, want unix.Errno) time.Duration {
		start := time.Now()
		for i := 0; i < calls; i++ {
			_, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
			if errno != want {
				b.Fatalf("bpf cmd %d: got errno %v, want %v", cmd, errno, want)
			}
		}
		return time.Since(start)
	}
	var on, off [2]time.Duration // [gated, ungated]
	measure := func(acc *[2]time.Duration) {
		acc[0] += loop(unix.BPF_OBJ_GET, unsafe.Pointer(&getAttr), unsafe.Sizeof(getAttr), unix.ENOENT)
		acc[1] += loop(unix.BPF_MAP_LOOKUP_ELEM, unsafe.Pointer(&lookupAttr), unsafe.Sizeof(lookupAttr), 0)
	}
	b.ResetTimer()
	for round := 0; round < 3; round++ {
		b.StopTimer()
		_, err := guard.Enable(guard.Config{PinDir: e.pinDir, Scope: e.scope})
		require.NoError(b, err)
		b.StartTimer()
		measure(&on)
		b.StopTimer()
		require.NoError(b, guard.Disable(e.pinDir))
		b.StartTimer()
		measure(&off)
	}
	b.StopTimer()
	n := float64(3 * calls)
	b.ReportMetric(float64(off[0].Nanoseconds())/n, "gated-off-ns/call")
	b.ReportMetric(float64(on[0].Nanoseconds())/n, "gated-on-ns/call")
	b.ReportMetric(float64(on[0])/float64(off[0]), "gated-on/off")
	b.ReportMetric(float64(off[1].Nanoseconds())/n, "ungated-off-ns/call")
	b.ReportMetric(float64(on[1].Nanoseconds())/n, "ungated-on-ns/call")
	b.ReportMetric(float64(on[1])/float64(off[1]), "ungated-on/off")
	b.Logf("scope %s, %d calls per phase and kind, 3 rounds", e.scope, calls)
}
