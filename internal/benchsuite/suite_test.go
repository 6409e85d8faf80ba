package benchsuite_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/benchsuite"
	"github.com/bpflab/bpflab/internal/execchain"
)

// rounds is how many times each subject and its baseline are measured,
// interleaved, per figure.
const rounds = 7

func release(tb testing.TB) string {
	var u unix.Utsname
	require.NoError(tb, unix.Uname(&u))
	return unix.ByteSliceToString(u.Release[:])
}

// record checks and stores a figure in this kernel's sheet.
func record(b *testing.B, f benchsuite.Figure, err error) {
	b.Helper()
	require.NoError(b, err)
	require.NoError(b, benchsuite.Add(release(b), f))
	b.Logf("%s: %.2fx [%.2f-%.2f] (%s %.4g %s / %s %.4g %s) %s", f.Name, f.Median, f.Min, f.Max,
		f.Subject, f.SubjectMedian, f.Unit, f.Baseline, f.BaselineMedian, f.Unit, f.Note)
}

func noopXDP(b *testing.B) *ebpf.Program {
	b.Helper()
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "MIT",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(firewall.XDPPass)), asm.Return()}})
	require.NoError(b, err)
	b.Cleanup(func() { p.Close() })
	return p
}

// repeatFor picks a BPF_PROG_TEST_RUN repeat count so one measurement of
// p takes about 30 ms (host: ~1M runs; TCG: tens of thousands).
func repeatFor(b *testing.B, p *ebpf.Program, frame []byte) int {
	_, d, err := p.Benchmark(frame, 1000, nil)
	require.NoError(b, err)
	if d <= 0 {
		d = time.Nanosecond
	}
	return int(min(max(30*time.Millisecond/d, 1000), 2_000_000))
}

func nsPerRun(b *testing.B, p *ebpf.Program, frame []byte, repeat int) float64 {
	_, d, err := p.Benchmark(frame, repeat, nil)
	require.NoError(b, err)
	return float64(d.Nanoseconds())
}

// hosts returns n host prefixes from base upwards (entries only, never
// traffic; the frames come from documentation addresses).
func hosts(base netip.Addr, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	a := base
	for i := range out {
		out[i] = netip.PrefixFrom(a, a.BitLen())
		a = a.Next()
	}
	return out
}

// BenchmarkFirewall: ns per frame of the firewall through
// BPF_PROG_TEST_RUN (repeat: no syscall per frame) with an empty
// blocklist (miss), and 1k and 1M host entries (the frame's source one of
// them: a hit), v4 and v6, over a no-op XDP program measured in the same
// rounds with the same frame.
func BenchmarkFirewall(b *testing.B) {
	testenv.Setup(b)
	noop := noopXDP(b)
	fw, err := firewall.Load(firewall.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { fw.Close() })
	pb, err := packet.NewBuilder([]byte{2, 0, 0, 0, 0, 2})
	require.NoError(b, err)
	for range b.N {
		for _, fam := range []struct {
			name string
			src  netip.Addr // blocked source, a documentation address
			base netip.Addr // the other entries count up from here
		}{
			{"v4", netip.MustParseAddr("198.51.100.77"), netip.MustParseAddr("10.0.0.0")},
			{"v6", netip.MustParseAddr("2001:db8:bad::77"), netip.MustParseAddr("2001:db8:1000::")},
		} {
			var frame packet.Frame
			if fam.src.Is4() {
				frame, err = pb.UDP4("flood", fam.src, netip.MustParseAddr("192.0.2.1"))
			} else {
				frame, err = pb.UDP6("flood", fam.src, netip.MustParseAddr("2001:db8::1"))
			}
			require.NoError(b, err)
			for _, n := range []int{0, 1000, 1_000_000} {
				set := hosts(fam.base, n)
				want, what := firewall.XDPPass, "empty, miss"
				if n > 0 {
					set[n/2] = netip.PrefixFrom(fam.src, fam.src.BitLen())
					want, what = firewall.XDPDrop, fmt.Sprintf("%s hit", count(n))
				}
				require.NoError(b, fw.Replace(set))
				v, err := fw.TestRun(frame.Bytes)
				require.NoError(b, err)
				require.Equal(b, want, v, "verdict for %s with %d entries", fam.src, n)
				repeat := repeatFor(b, fw.Program(), frame.Bytes)
				var subj, base []float64
				for range rounds {
					base = append(base, nsPerRun(b, noop, frame.Bytes, repeat))
					subj = append(subj, nsPerRun(b, fw.Program(), frame.Bytes, repeat))
				}
				f, err := benchsuite.NewFigure(fmt.Sprintf("firewall %s %s", fam.name, what), "firewall", "no-op XDP", "ns/frame", subj, base)
				f.Note = fmt.Sprintf("BPF_PROG_TEST_RUN repeat %d", repeat)
				record(b, f, err)
			}
		}
	}
	require.NoError(b, fw.Replace(nil))
}

func count(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// BenchmarkPolicyUpdate: a whole-set load with batch updates against the
// same load one update per entry, and single Block calls on the pinned
// live set (p50, p99) against a bare BPF_MAP_UPDATE_ELEM on an array map.
// The set is 1M host entries where a 10k per-element load takes under
// 100 ms, else (emulated kernels) 100k, said in the note.
func BenchmarkPolicyUpdate(b *testing.B) {
	testenv.Setup(b)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-bench-")
	require.NoError(b, err)
	b.Cleanup(func() { os.RemoveAll(dir) })
	fw, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(b, err)
	b.Cleanup(func() { fw.Close() })

	probe := hosts(netip.MustParseAddr("10.0.0.0"), 10_000)
	rep, err := fw.ReplaceWith(probe, firewall.ReplaceOptions{PerElement: true})
	require.NoError(b, err)
	n := 1_000_000
	if rep.Fill > 100*time.Millisecond {
		n = 100_000
	}
	set := hosts(netip.MustParseAddr("10.0.0.0"), n)
	const loads = 3
	for range b.N {
		var batch, single []float64
		for range loads {
			r, err := fw.ReplaceWith(set, firewall.ReplaceOptions{PerElement: true})
			require.NoError(b, err)
			single = append(single, float64((r.Fill+r.Swap).Nanoseconds())/1e6)
			r, err = fw.ReplaceWith(set, firewall.ReplaceOptions{})
			require.NoError(b, err)
			require.True(b, r.Batch, "this kernel has batch updates for hash maps (>= 5.6)")
			batch = append(batch, float64((r.Fill+r.Swap).Nanoseconds())/1e6)
		}
		v4, _, err := fw.Entries()
		require.NoError(b, err)
		require.Equal(b, n, v4)
		f, err := benchsuite.NewFigure("policy load: per-element / batch", "per-element load", "batch load", "ms", single, batch)
		f.Note = fmt.Sprintf("%d IPv4 hosts, fill + swap", n)
		record(b, f, err)

		// Block latency: writer lock, open the live pins, one update.
		require.NoError(b, fw.Replace(nil))
		arr, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
		require.NoError(b, err)
		defer arr.Close()
		const blocks = 1000
		var p50, p99, b50, b99 []float64
		for r := range 5 {
			var blk, bare []float64
			for i, p := range hosts(netip.MustParseAddr("10.1.0.0").Next(), blocks) {
				_ = r
				start := time.Now()
				require.NoError(b, fw.Block(p))
				blk = append(blk, float64(time.Since(start).Nanoseconds())/1e3)
				start = time.Now()
				require.NoError(b, arr.Update(uint32(0), uint64(i), ebpf.UpdateAny))
				bare = append(bare, float64(time.Since(start).Nanoseconds())/1e3)
			}
			require.NoError(b, fw.Replace(nil))
			slices.Sort(blk)
			slices.Sort(bare)
			p50, p99 = append(p50, blk[blocks/2]), append(p99, blk[blocks*99/100])
			b50, b99 = append(b50, bare[blocks/2]), append(b99, bare[blocks*99/100])
		}
		f, err = benchsuite.NewFigure("block latency p50", "policy block", "bare map update", "µs", p50, b50)
		f.Note = fmt.Sprintf("%d blocks per round", blocks)
		record(b, f, err)
		f, err = benchsuite.NewFigure("block latency p99", "policy block", "bare map update", "µs", p99, b99)
		f.Note = fmt.Sprintf("%d blocks per round", blocks)
		record(b, f, err)
	}
}

// BenchmarkTracer: the CPU time of a process making 500 exec calls (the
// exec chain: no runtime start-up per exec) with the execve tracker
// attached against the same chain with no tracker (alternating which goes
// first); and the chain's events the tracker's buffer delivered per CPU
// second of the traced run against its execs per CPU second (1.0: every
// event arrived), loss counted.
func BenchmarkTracer(b *testing.B) {
	testenv.Setup(b)
	if err := execchain.Supported(); err != nil {
		b.Skipf("exec chain: %v", err)
	}
	const execs = 500
	chain, err := execchain.Write(b.TempDir(), execchain.Execve)
	require.NoError(b, err)
	// run returns the chain's CPU time (user + system, from its rusage):
	// the tracepoint programs run in the exec'ing task, so they are in it,
	// and unlike wall time it does not count waiting for a busy CPU.
	run := func() (time.Duration, int) {
		cmd := execchain.Command(context.Background(), chain, execs)
		require.NoError(b, cmd.Start())
		pid := cmd.Process.Pid
		require.NoError(b, cmd.Wait())
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), pid
	}
	traced := func() (d time.Duration, delivered int, lost uint64, transport string) {
		tr, err := execve.Load(execve.Options{})
		require.NoError(b, err)
		defer tr.Close()
		require.NoError(b, tr.Attach())
		tgids := make(chan []uint32, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // keep every event's TGID; the chain's is known after
			var seen []uint32
			for {
				ev, err := tr.ReadEvent(ctx)
				if err != nil {
					tgids <- seen
					return
				}
				seen = append(seen, ev.TGID)
			}
		}()
		d, pid := run()
		cnt, err := tr.Count(uint32(pid))
		require.NoError(b, err)
		require.EqualValues(b, execs, cnt, "the tracker counted every exec of the chain")
		time.Sleep(200 * time.Millisecond) // let the reader drain the buffer
		cancel()
		for _, tg := range <-tgids {
			if int(tg) == pid {
				delivered++
			}
		}
		diag, err := tr.Diag()
		require.NoError(b, err)
		return d, delivered, diag.EventsDropped + tr.Lost(), tr.Transport()
	}
	for range b.N {
		var withT, without, deliveredRate, execRate []float64
		var lost uint64
		missing := 0
		transport := ""
		for r := range rounds {
			var dp time.Duration
			if r%2 == 0 {
				dp, _ = run()
			}
			dt, n, l, tp := traced()
			if r%2 == 1 {
				dp, _ = run()
			}
			transport, lost, missing = tp, lost+l, missing+execs-n
			withT = append(withT, float64(dt.Nanoseconds())/1e6)
			without = append(without, float64(dp.Nanoseconds())/1e6)
			deliveredRate = append(deliveredRate, float64(n)/dt.Seconds())
			execRate = append(execRate, execs/dt.Seconds())
		}
		f, err := benchsuite.NewFigure("tracer: exec loop traced / untraced", "traced", "untraced", fmt.Sprintf("CPU ms per %d execs", execs), withT, without)
		record(b, f, err)
		f, err = benchsuite.NewFigure("tracer: events delivered / execs", "events delivered", "execs traced", "per s", deliveredRate, execRate)
		f.Note = fmt.Sprintf("%s; %d events lost (buffer full), %d not delivered, in %d rounds", transport, lost, missing, rounds)
		record(b, f, err)
	}
}
