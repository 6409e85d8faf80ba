package oracle_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink/nl"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/bpf/firewall/model"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
)

// settleTimeout bounds every wait for a fence; generous for TCG.
const settleTimeout = 10 * time.Second

// batchSize frames go between two fences. Well below the 256-entry ring
// a native-mode veth queues frames in before XDP runs: on a busy TCG guest
// a full batch of 256 filled it and the send failed with ENOBUFS (5.10).
const batchSize = 64

// firstMarker numbers corpus frames above the builder's own fence markers.
const firstMarker = 1 << 24

var (
	fenceDst = netip.MustParseAddr("192.0.2.1")
	modes    = []firewall.Mode{firewall.ModeNative, firewall.ModeGeneric}
)

// vethLab is one topology with the firewall attached to dut0 in one mode.
type vethLab struct {
	topo   *netlab.Topology
	fw     *firewall.Firewall
	cap    *netlab.Capture
	b      *packet.Builder
	next   packet.Marker
	policy model.Policy
}

func newVethLab(t *testing.T, mode firewall.Mode, p model.Policy) *vethLab {
	t.Helper()
	fw := load(t)
	topo := netlab.New(t)
	require.NoError(t, fw.Replace(p.Prefixes()), "install policy")
	require.NoError(t, topo.DUT.Do(func() error { return fw.Attach(topo.DUTIndex, mode) }))
	st, err := topo.DUTXDP()
	require.NoError(t, err)
	want := map[firewall.Mode]uint32{firewall.ModeNative: nl.XDP_ATTACHED_DRV, firewall.ModeGeneric: nl.XDP_ATTACHED_SKB}[mode]
	require.True(t, st.Attached, "an XDP program is attached to dut0")
	require.EqualValues(t, want, st.Mode, "attach mode reported by netlink for %s", mode)
	c, err := topo.Capture()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	b, err := packet.NewBuilder(netlab.SinkMAC)
	require.NoError(t, err)
	return &vethLab{topo: topo, fw: fw, cap: c, b: b, next: firstMarker, policy: p}
}

// stamp gives a corpus frame a fresh marker and the sink as destination.
func (l *vethLab) stamp(f corpus.Frame) (corpus.Frame, packet.Marker) {
	l.next++
	b := slices.Clone(f.Bytes)
	copy(b[0:6], netlab.SinkMAC)
	copy(b[6:12], l.next.MAC())
	return corpus.Frame{Name: f.Name, Bytes: b}, l.next
}

// deliver sends frames through peer0 -> dut0, closes with a fence and
// returns the counter delta the frames caused (the fence's own, as the
// model predicts it, taken off) and their markers.
func (l *vethLab) deliver(t *testing.T, frames []corpus.Frame) (model.Counters, []packet.Marker) {
	t.Helper()
	raw := make([][]byte, len(frames))
	marks := make([]packet.Marker, len(frames))
	for i := range frames {
		frames[i], marks[i] = l.stamp(frames[i])
		raw[i] = frames[i].Bytes
	}
	fence, err := l.b.UDP4("fence", allowed4, fenceDst)
	require.NoError(t, err)
	before := stats(t, l.fw)
	require.NoError(t, l.topo.Inject(raw...))
	require.NoError(t, l.topo.Settle(l.cap, fence, settleTimeout))
	return stats(t, l.fw).Sub(before).Sub(l.policy.Judge(fence.Bytes).Delta), marks
}

// judge delivers one batch and compares each frame's delivery with the
// model's verdict and the batch's counters with the sum of the model's
// deltas; on a counter mismatch it delivers the frames again one by one to
// name the culprit. It returns the number of disagreements reported.
func (l *vethLab) judge(t *testing.T, frames []corpus.Frame, seed uint64) int {
	t.Helper()
	delta, marks := l.deliver(t, frames)
	bad := 0
	var want model.Counters
	for i, f := range frames {
		m := l.policy.Judge(f.Bytes)
		want = want.Add(m.Delta)
		n := l.cap.Count(marks[i])
		wantN := 0
		if m.Verdict == model.Pass && !untagFrees(f.Bytes) {
			wantN = 1
		}
		if n != wantN {
			bad++
			t.Errorf("veth delivered the frame %d times, the model says %s\n  %s", n, m, repro(f, seed))
		}
	}
	if delta == want {
		return bad
	}
	t.Errorf("veth counters for a batch of %d frames moved %s, the model says %s; delivering one at a time", len(frames), delta, want)
	for _, f := range frames {
		one, _ := l.deliver(t, []corpus.Frame{f})
		if m := l.policy.Judge(f.Bytes); one != m.Delta {
			bad++
			t.Errorf("veth counters moved %s for one frame, the model says %s\n  %s", one, m, repro(f, seed))
			if bad >= maxReports {
				break
			}
		}
	}
	return max(bad, 1)
}

// TestCorpusVeth delivers the wire-safe part of the corpus over a real
// veth pair in native and generic mode, judged by the model.
func TestCorpusVeth(t *testing.T) {
	s := seed(t)
	t.Logf("seed %d (replay with BPFLAB_SEED=%d)", s, s)
	tmpl := templates()
	var fixed []corpus.Frame
	for _, f := range slices.Concat(truncations(), corpus.EdgeFrames(labPolicy), committedFrames(t)) {
		if len(f.Bytes) >= model.EthernetLen && corpus.Documentation(f.Bytes) {
			fixed = append(fixed, f)
		}
	}
	perMode := budget(t) / time.Duration(len(modes))
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			l := newVethLab(t, mode, labPolicy)
			bad := 0
			start := time.Now()
			for chunk := range slices.Chunk(fixed, batchSize) {
				if bad += l.judge(t, slices.Clone(chunk), 0); bad >= maxReports {
					t.Fatalf("stopping after %d disagreements", bad)
				}
			}
			fixedTime := time.Since(start)

			g := corpus.NewRandom(s+uint64(mode)<<32, tmpl)
			n, start := 0, time.Now()
			for time.Since(start) < perMode {
				var batch []corpus.Frame
				for len(batch) < batchSize {
					if f := g.Next(); len(f.Bytes) >= model.EthernetLen && corpus.Documentation(f.Bytes) {
						batch = append(batch, f)
					}
				}
				if bad += l.judge(t, batch, s); bad >= maxReports {
					t.Fatalf("stopping after %d disagreements", bad)
				}
				n += len(batch)
			}
			randTime := time.Since(start)
			assert.Zero(t, l.cap.Foreign(), "unexpected frames on dut0 (they skew the counters): %x", l.cap.ForeignFrames())
			t.Logf("%s: %d fixed frames in %s (%.0f frames/s); %d random frames (stream seed %d, from the seed above) in %s (%.0f frames/s)",
				mode, len(fixed), fixedTime.Round(time.Millisecond), float64(len(fixed))/fixedTime.Seconds(),
				n, g.Seed, randTime.Round(time.Millisecond), float64(n)/randTime.Seconds())
		})
	}
}

// untagFrees reports whether the stack frees a passed frame before the tap
// sees it: skb_vlan_untag pulls the tag plus two bytes beyond it and drops
// a tagged frame shorter than 20 bytes (measured: 18- and 19-byte 802.1Q
// frames the firewall passes, counters and all, never reach the tap).
func untagFrees(frame []byte) bool {
	if len(frame) < 14 || len(frame) >= 20 {
		return false
	}
	t := uint16(frame[12])<<8 | uint16(frame[13])
	return t == model.EtherTypeDot1Q || t == model.EtherTypeDot1AD
}
