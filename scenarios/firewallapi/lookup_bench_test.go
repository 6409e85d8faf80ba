package firewallapi_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
)

// hosts returns n distinct host prefixes of the family of base (/32 or
// /128), counting up from base: entries only, never traffic.
func hosts(base netip.Addr, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	a := base
	for i := range out {
		out[i] = netip.PrefixFrom(a, a.BitLen())
		a = a.Next()
	}
	return out
}

// noopXDP is the baseline: an XDP program that only returns XDP_PASS.
func noopXDP(b *testing.B) *ebpf.Program {
	b.Helper()
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "MIT",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(firewall.XDPPass)), asm.Return()}})
	require.NoError(b, err)
	b.Cleanup(func() { p.Close() })
	return p
}

// perRun is the kernel's own ns per run over repeat runs of frame
// (BPF_PROG_TEST_RUN with repeat: no syscall per frame).
func perRun(b *testing.B, p *ebpf.Program, frame []byte, repeat int) float64 {
	b.Helper()
	_, d, err := p.Benchmark(frame, repeat, nil)
	require.NoError(b, err)
	return float64(d.Nanoseconds())
}

// BenchmarkLookup: the firewall's ns per frame through BPF_PROG_TEST_RUN
// with an empty blocklist, 1k and 1M host entries (v4 and v6), the frame's
// source blocked (hit) or not (miss), against a no-op XDP program measured
// in the same run, interleaved, median of 9 rounds.
func BenchmarkLookup(b *testing.B) {
	const repeat, rounds = 200_000, 9
	noop := noopXDP(b)
	fw := pinnedFirewall(b)
	for _, fam := range []struct {
		name       string
		base, miss string
		frame      func(testing.TB, string, int) []byte
	}{
		{"v4", "198.51.100.0", "192.0.2.200", ipv4Frame},
		{"v6", "2001:db8:bad::", "2001:db8:600d::1", ipv6Frame},
	} {
		base := netip.MustParseAddr(fam.base)
		for _, n := range []int{0, 1000, 1_000_000} {
			set := hosts(base, n)
			for _, hit := range []bool{true, false} {
				if n == 0 && hit {
					continue
				}
				src := fam.miss
				if hit {
					src = set[n/2].Addr().String()
				}
				name := fmt.Sprintf("%s/%d/%s", fam.name, n, map[bool]string{true: "hit", false: "miss"}[hit])
				b.Run(name, func(b *testing.B) {
					require.NoError(b, fw.Replace(set))
					frame := fam.frame(b, src, -1)
					want := firewall.XDPPass
					if hit {
						want = firewall.XDPDrop
					}
					v, err := fw.TestRun(frame)
					require.NoError(b, err)
					require.Equal(b, want, v, "verdict for %s", src)
					var fwNs, noopNs []float64
					for range b.N {
						for range rounds {
							noopNs = append(noopNs, perRun(b, noop, frame, repeat))
							fwNs = append(fwNs, perRun(b, fw.Program(), frame, repeat))
						}
					}
					slices.Sort(fwNs)
					slices.Sort(noopNs)
					b.ReportMetric(fwNs[len(fwNs)/2], "ns/frame")
					b.ReportMetric(noopNs[len(noopNs)/2], "noop-ns/frame")
					b.ReportMetric(fwNs[len(fwNs)/2]/noopNs[len(noopNs)/2], "x-noop")
				})
			}
		}
	}
}
