package guard

import (
	"path/filepath"
	"sort"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
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
//     at its command switch;
//   - and, from the kernel's BPF run-time stats, the guard program's own time
//     per run, as a share of the cheapest (ungated, guard off) call.
//
// On and off alternate for 6 rounds; each phase makes max(b.N, 2000) calls
// of each kind. Inside a VM the guard is system-wide and this process is a
// trusted loader; on a host (cgroup scope) this process is outside the
// scope, so the numbers are the out-of-scope cost.
func BenchmarkGuardBPFSyscall(b *testing.B) {
	e := newEnv(b)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	require.NoError(b, err)
	defer m.Close()
	calls := max(b.N, 2000)
	// The kernel gets key, value and path as integer addresses, which Go
	// would not update if it moved a stack (a stale key reads as ENOENT):
	// keep them in a page of their own.
	page, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	require.NoError(b, err)
	defer unix.Munmap(page)
	key, value, missing := &page[0], &page[8], page[64:]
	require.Less(b, len(e.pinDir)+len("-missing"), len(missing))
	copy(missing, e.pinDir+"-missing") // NUL-terminated: the page is zeroed
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
	}{mapFD: uint32(m.FD()), key: uint64(uintptr(unsafe.Pointer(key))), value: uint64(uintptr(unsafe.Pointer(value)))}
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
	// One phase: each kind's duration.
	measure := func() [2]time.Duration {
		return [2]time.Duration{
			loop(unix.BPF_OBJ_GET, unsafe.Pointer(&getAttr), unsafe.Sizeof(getAttr), unix.ENOENT),
			loop(unix.BPF_MAP_LOOKUP_ELEM, unsafe.Pointer(&lookupAttr), unsafe.Sizeof(lookupAttr), 0),
		}
	}
	b.Cleanup(func() {
		if guard.Enabled(e.pinDir) {
			if err := guard.Disable(e.pinDir); err != nil {
				b.Errorf("cleanup: disable guard: %v", err)
			}
		}
	})
	// Rounds alternate the order (on,off / off,on) so a drift in machine
	// load does not favour either; the reported ratio is the median of the
	// per-round ratios, which a burst of contention in one phase moves less
	// than a ratio of sums.
	var on, off [2]time.Duration
	var ratios [2][]float64
	// The kernel's own account of the guard program (BPF_ENABLE_STATS, 5.8+):
	// run time inside lsm/bpf per call, which host contention disturbs far
	// less than a wall-clock loop in a TCG guest.
	statsOn, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	require.NoError(b, err)
	defer statsOn.Close()
	var progRuns uint64
	var progTime time.Duration
	progStats := func() {
		l, err := link.LoadPinnedLink(filepath.Join(e.pinDir, "link_bpf"), nil)
		require.NoError(b, err)
		defer l.Close()
		li, err := l.Info()
		require.NoError(b, err)
		p, err := ebpf.NewProgramFromID(li.Program)
		require.NoError(b, err)
		defer p.Close()
		st, err := p.Stats()
		require.NoError(b, err)
		progRuns += st.RunCount
		progTime += st.Runtime
	}
	b.ResetTimer()
	for round := 0; round < rounds; round++ {
		var r [2][2]time.Duration // [on/off][kind]
		for step := 0; step < 2; step++ {
			enabled := (round+step)%2 == 0
			b.StopTimer()
			if enabled {
				_, err := guard.Enable(guard.Config{PinDir: e.pinDir, Scope: e.scope})
				require.NoError(b, err)
			}
			b.StartTimer()
			d := measure()
			b.StopTimer()
			if enabled {
				progStats()
				require.NoError(b, guard.Disable(e.pinDir))
				r[0] = d
			} else {
				r[1] = d
			}
			b.StartTimer()
		}
		for k := 0; k < 2; k++ {
			on[k] += r[0][k]
			off[k] += r[1][k]
			ratios[k] = append(ratios[k], float64(r[0][k])/float64(r[1][k]))
		}
	}
	b.StopTimer()
	n := float64(rounds * calls)
	for k, kind := range []string{"gated", "ungated"} {
		b.ReportMetric(float64(off[k].Nanoseconds())/n, kind+"-off-ns/call")
		b.ReportMetric(float64(on[k].Nanoseconds())/n, kind+"-on-ns/call")
		b.ReportMetric(median(ratios[k]), kind+"-on/off")
	}
	require.NotZero(b, progRuns, "the guard program never ran: was it attached?")
	progNs := float64(progTime.Nanoseconds()) / float64(progRuns)
	b.ReportMetric(progNs, "guard-prog-ns/run")
	b.ReportMetric(progNs/(float64(off[1].Nanoseconds())/n), "guard-prog/ungated-call")
	b.Logf("scope %s, %d calls per phase and kind, %d rounds; per-round on/off gated %.3f ungated %.3f",
		e.scope, calls, rounds, ratios[0], ratios[1])
}

// rounds of on and off phases in BenchmarkGuardBPFSyscall.
const rounds = 6

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
