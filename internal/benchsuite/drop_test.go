package benchsuite_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/benchsuite"
)

// nftRules drop the flood at the netdev ingress hook of dut0: the earliest
// netfilter hook, before the IP stack, as close as nftables gets to XDP.
const nftRules = `table netdev bpflab_bench {
	counter blocked {}
	chain in {
		type filter hook ingress device "dut0" priority 0; policy accept;
		ip saddr 198.51.100.77 counter name blocked drop
	}
}
`

// BenchmarkDrop: the same flood of blocked frames (20000 identical UDP
// frames from 198.51.100.77, written one by one to an AF_PACKET socket on
// the peer end of the veth) dropped by an nftables rule at dut0's ingress
// hook, against the XDP firewall (native mode on dut0, the same source in
// its blocklist). Each round attaches one filter alone, so the other costs
// nothing. The time is the sender's: veth delivers in the sender's context
// (the receive softirq runs when the transmit path re-enables bottom
// halves), so it is the send cost, the same for both, plus the drop. That
// dilutes the ratio towards 1 but keeps it fair: same frames, same path up
// to the hook, and both counters must show every frame dropped. Native
// XDP on veth is the exception: it queues to a ring drained by NAPI, so it
// is fed in ring-sized chunks (see below).
func BenchmarkDrop(b *testing.B) {
	testenv.Setup(b)
	nft, err := exec.LookPath("nft")
	if err != nil {
		b.Skipf("nftables side: nft not found (%v); the matrix carries it with the tools when the host has it", err)
	}
	const flood = 20000
	const vethRing = 128 // half of veth's XDP ring (VETH_RING_SIZE 256)
	topo := netlab.New(b)
	fw, err := firewall.Load(firewall.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { fw.Close() })
	src := netip.MustParseAddr("198.51.100.77")
	require.NoError(b, fw.Replace([]netip.Prefix{netip.PrefixFrom(src, 32)}))
	pb, err := packet.NewBuilder(netlab.SinkMAC) // the DUT's stack ignores them if passed
	require.NoError(b, err)
	frame, err := pb.UDP4("flood", src, netip.MustParseAddr("192.0.2.1"))
	require.NoError(b, err)
	frames := make([][]byte, flood)
	for i := range frames {
		frames[i] = frame.Bytes
	}
	inDUT := func(stdin string, args ...string) []byte {
		var out []byte
		require.NoError(b, topo.DUT.Do(func() error {
			cmd := exec.Command(nft, args...)
			cmd.Stdin = strings.NewReader(stdin)
			var err error
			out, err = cmd.CombinedOutput()
			if err != nil {
				return fmt.Errorf("nft %v: %w: %s", args, err, out)
			}
			return nil
		}))
		return out
	}
	nftCount := func() uint64 {
		out := inDUT("", "-j", "list", "counter", "netdev", "bpflab_bench", "blocked")
		var doc struct {
			Nftables []struct {
				Counter *struct {
					Packets uint64 `json:"packets"`
				} `json:"counter"`
			} `json:"nftables"`
		}
		require.NoError(b, json.NewDecoder(bytes.NewReader(out)).Decode(&doc), "nft -j output: %s", out)
		for _, e := range doc.Nftables {
			if e.Counter != nil {
				return e.Counter.Packets
			}
		}
		b.Fatalf("no counter in nft output: %s", out)
		return 0
	}
	// waitFor polls a counter until it has moved by flood: every frame must
	// have been dropped by the filter measured.
	waitFor := func(what string, read func() uint64, from uint64) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := read() - from
			if got == flood {
				return
			}
			require.Less(b, got, uint64(flood), "%s counted more drops than frames sent", what)
			require.True(b, time.Now().Before(deadline), "%s dropped %d of %d frames after 30 s", what, got, flood)
			time.Sleep(20 * time.Millisecond)
		}
	}
	xdpDropped := func() uint64 {
		s, err := fw.Stats()
		require.NoError(b, err)
		return s.Dropped
	}
	native := true // veth has native XDP since 4.19; fall back if refused
	for range b.N {
		var viaNft, viaNative, viaGeneric []float64
		for range rounds {
			for _, mode := range []firewall.Mode{firewall.ModeNative, firewall.ModeGeneric} {
				if mode == firewall.ModeNative && !native {
					continue
				}
				err := topo.DUT.Do(func() error { return fw.Attach(topo.DUTIndex, mode) })
				if err != nil && mode == firewall.ModeNative {
					b.Logf("native XDP on veth refused (%v): generic only", err)
					native = false
					continue
				}
				require.NoError(b, err)
				before := xdpDropped()
				start := time.Now()
				if mode == firewall.ModeNative {
					// Native XDP on veth queues frames in a 256-slot ring
					// that NAPI drains later; a burst overflows it
					// (ENOBUFS). Send ring-sized chunks, each after the
					// program has dropped the one before (a map read).
					for off := 0; off < flood; off += vethRing {
						end := min(off+vethRing, flood)
						require.NoError(b, topo.Inject(frames[off:end]...))
						for xdpDropped()-before < uint64(off) {
							runtime.Gosched()
						}
					}
				} else {
					require.NoError(b, topo.Inject(frames...))
				}
				ns := float64(time.Since(start).Nanoseconds()) / flood
				waitFor("XDP firewall ("+mode.String()+")", xdpDropped, before)
				require.NoError(b, topo.DUT.Do(fw.Detach))
				if mode == firewall.ModeNative {
					viaNative = append(viaNative, ns)
				} else {
					viaGeneric = append(viaGeneric, ns)
				}
			}
			inDUT(nftRules, "-f", "-")
			start := time.Now()
			require.NoError(b, topo.Inject(frames...))
			viaNft = append(viaNft, float64(time.Since(start).Nanoseconds())/flood)
			waitFor("nftables", nftCount, 0)
			inDUT("", "delete", "table", "netdev", "bpflab_bench")
		}
		note := fmt.Sprintf("%d frames per round from an AF_PACKET socket on the peer, time includes the send", flood)
		if native {
			f, err := benchsuite.NewFigure("drop: nftables ingress / XDP native", "nftables ingress", "XDP native", "ns/frame", viaNft, viaNative)
			f.Note = note
			record(b, f, err)
		}
		f, err := benchsuite.NewFigure("drop: nftables ingress / XDP generic", "nftables ingress", "XDP generic", "ns/frame", viaNft, viaGeneric)
		f.Note = note
		record(b, f, err)
	}
}
