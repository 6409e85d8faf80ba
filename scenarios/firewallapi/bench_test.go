package firewallapi_test

import (
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
)

// million returns n distinct /32 prefixes (entries only, never traffic).
func million(n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		out[i] = netip.PrefixFrom(a, 32)
	}
	return out
}

func pinnedFirewall(b *testing.B) *firewall.Firewall {
	b.Helper()
	testenv.Setup(b)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-bench-")
	require.NoError(b, err)
	b.Cleanup(func() { os.RemoveAll(dir) })
	fw, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(b, err)
	b.Cleanup(func() { fw.Close() })
	return fw
}

// BenchmarkLoad1M times `policy load` of 1,000,000 prefixes into the live,
// pinned map (build the new trie, swap it in, re-pin): ns/op is one batch
// load; the same run also times per-element loads and reports the ratio.
func BenchmarkLoad1M(b *testing.B) {
	const n = 1_000_000
	fw := pinnedFirewall(b)
	set := million(n)
	var batch, single time.Duration
	usedBatch := false
	b.ResetTimer()
	for range b.N {
		rep, err := fw.ReplaceWith(set, firewall.ReplaceOptions{})
		require.NoError(b, err)
		batch += rep.Fill + rep.Swap
		usedBatch = rep.Batch
		b.StopTimer()
		rep, err = fw.ReplaceWith(set, firewall.ReplaceOptions{PerElement: true})
		require.NoError(b, err)
		single += rep.Fill + rep.Swap
		b.StartTimer()
	}
	b.StopTimer()
	v4, _, err := fw.Entries()
	require.NoError(b, err)
	require.Equal(b, n, v4, "entries in the live set after the loads")
	perBatch := float64(batch.Nanoseconds()) / float64(b.N)
	perSingle := float64(single.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perBatch, "ns/op")
	b.ReportMetric(n/(perBatch/1e9), "entries/s")
	b.ReportMetric(perSingle, "per-element-ns/op")
	b.ReportMetric(perSingle/perBatch, "per-element/batch")
	if !usedBatch {
		b.Logf("this kernel has no batch updates for LPM tries: both columns are per-element")
	}
}

// BenchmarkBlockLatency measures single Block calls on the pinned live set
// (writer lock, open the live pin, one update): p50 and p99 over 1000
// blocks per iteration.
func BenchmarkBlockLatency(b *testing.B) {
	const perIter = 1000
	fw := pinnedFirewall(b)
	set := million(perIter)
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		for _, p := range set {
			start := time.Now()
			if err := fw.Block(p); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		require.NoError(b, fw.Replace(nil))
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(len(lat))/float64(b.N), "blocks/op")
}
