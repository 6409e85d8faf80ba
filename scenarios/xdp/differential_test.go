package xdp_test

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomFrames is how many random frames each mode gets.
const randomFrames = 400

// seed is taken from BPFLAB_SEED when set (to replay a failure), else the
// clock; it is always logged.
func seed(t *testing.T) uint64 {
	t.Helper()
	if s := os.Getenv("BPFLAB_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "BPFLAB_SEED=%q: want a decimal number", s)
		return v
	}
	return uint64(time.Now().UnixNano())
}

type gen struct {
	r *rand.Rand
	b *packet.Builder
}

func (g gen) addr4() netip.Addr {
	base := [2][3]byte{{192, 0, 2}, {198, 51, 100}}[g.r.IntN(2)]
	return netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(g.r.IntN(256))})
}

func (g gen) addr6() netip.Addr {
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	// Few distinct values so random prefixes actually match some frames.
	a[4], a[5] = 0, byte(g.r.IntN(4))
	a[15] = byte(g.r.IntN(8))
	return netip.AddrFrom16(a)
}

func (g gen) prefix() netip.Prefix {
	if g.r.IntN(3) == 0 {
		return netip.PrefixFrom(g.addr6(), 40+g.r.IntN(89)).Masked()
	}
	return netip.PrefixFrom(g.addr4(), 24+g.r.IntN(9)).Masked()
}

// frame makes one random frame. Garbage keeps documentation addresses where
// an IP header would carry them, so even random bytes address only the lab.
func (g gen) frame(t *testing.T) packet.Frame {
	t.Helper()
	var f packet.Frame
	var err error
	switch g.r.IntN(7) {
	case 0:
		f, err = g.b.UDP4("random v4", g.addr4(), dst4)
	case 1:
		f, err = g.b.UDP6("random v6", g.addr6(), dst6)
	case 2:
		f, err = g.b.VLANUDP4("random VLAN v4", uint16(1+g.r.IntN(4094)), g.addr4(), dst4)
	case 3:
		f, err = g.b.ARPRequest("random ARP", g.addr4(), g.addr4())
	case 4:
		f, err = g.b.BadIHL("random bad IHL", uint8(g.r.IntN(5)), g.addr4(), dst4)
	default:
		types := []uint16{0x0800, 0x86dd, 0x0806, 0x88b5}
		typ := types[g.r.IntN(len(types))]
		f, err = g.b.Garbage("random garbage", typ, packet.MinFrameLen+g.r.IntN(100))
		if err == nil {
			g.fixAddrs(f.Bytes, typ)
		}
	}
	require.NoError(t, err)
	if len(f.Bytes) > packet.MinFrameLen+1 && g.r.IntN(4) == 0 {
		name := f.Name + ", truncated"
		f, err = packet.Truncate(f, packet.MinFrameLen+g.r.IntN(len(f.Bytes)-packet.MinFrameLen))
		require.NoError(t, err)
		f.Name = name
	}
	return f
}

func (g gen) fixAddrs(b []byte, typ uint16) {
	switch {
	case typ == 0x0800 && len(b) >= 34:
		s, d := g.addr4().As4(), dst4.As4()
		copy(b[26:], s[:])
		copy(b[30:], d[:])
	case typ == 0x86dd && len(b) >= 54:
		s, d := g.addr6().As16(), dst6.As16()
		copy(b[22:], s[:])
		copy(b[38:], d[:])
	}
}

// TestDifferentialRandom sends random frames through veth and through
// BPF_PROG_TEST_RUN against a random blocklist. Nothing is predicted: the
// two paths must agree frame by frame and in their counter deltas.
func TestDifferentialRandom(t *testing.T) {
	s := seed(t)
	t.Logf("seed %d (replay with BPFLAB_SEED=%d)", s, s)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			l := newLab(t, mode, firewall.Options{})
			g := gen{r: rand.New(rand.NewPCG(s, uint64(mode))), b: l.b}
			for n := 0; n < 12; {
				p := g.prefix()
				if p.Contains(allowed4) {
					continue // the fence source must stay allowed
				}
				require.NoError(t, l.fw.Block(p))
				n++
			}
			blocked, err := l.fw.Blocked()
			require.NoError(t, err)
			t.Logf("blocklist: %v", blocked)

			frames := make([]packet.Frame, randomFrames)
			for i := range frames {
				frames[i] = g.frame(t)
			}
			before := l.stats(t)
			l.deliver(t, frames)
			veth := sub(sub(l.stats(t), before), passV4) // minus the fence

			// Per-frame counter deltas around each test run tell which
			// counters a frame moves; their sum must equal the veth delta.
			var passed, dropped int
			var run firewall.Stats
			for _, f := range frames {
				pre := l.stats(t)
				v, err := l.fw.TestRun(f.Bytes)
				require.NoError(t, err, "test run %s", f)
				one := sub(l.stats(t), pre)
				if one.Passed+one.Dropped+one.Malformed != 1 {
					t.Errorf("%s: one test run moved the verdict counters by %+v; bytes %x", f, one, f.Bytes)
				}
				run = add(run, one)
				delivered := l.cap.Count(f.Marker)
				if v == firewall.XDPPass {
					passed++
					assert.Equal(t, 1, delivered, "%s: BPF_PROG_TEST_RUN passes it, veth delivered it %d times; bytes %x", f, delivered, f.Bytes)
				} else {
					dropped++
					assert.Equal(t, firewall.XDPDrop, v, "%s: unexpected verdict", f)
					assert.Zero(t, delivered, "%s: BPF_PROG_TEST_RUN drops it, veth delivered it; bytes %x", f, f.Bytes)
				}
			}
			assert.Zero(t, l.cap.Foreign(), "unexpected frames on dut0 (they skew the veth counters): %x", l.cap.ForeignFrames())
			assert.Equal(t, run, veth, "counters: sum of per-frame test-run deltas vs veth delivery of the same frames")
			t.Logf("%d frames: %d passed, %d dropped; counters %+v", len(frames), passed, dropped, run)
			assert.Positive(t, passed, "a useful random set passes some frames")
			assert.Positive(t, dropped, "a useful random set drops some frames")
		})
	}
}
