package policy_test

import (
	"errors"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const settleTimeout = 10 * time.Second

var (
	dst4      = netip.MustParseAddr("192.0.2.1")
	flowSrc   = netip.MustParseAddr("192.0.2.10")    // the steady allowed flow
	fenceSrc  = netip.MustParseAddr("192.0.2.20")    // fences, always allowed
	victim    = netip.MustParseAddr("198.51.100.20") // blocked and unblocked
	victimNet = netip.PrefixFrom(victim, 32)
)

// pinDir makes a fresh directory in bpffs, removed (with its pins) at the
// end of the test.
func pinDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-policy-")
	require.NoError(t, err, "create pin dir in bpffs")
	t.Cleanup(func() { assert.NoError(t, os.RemoveAll(dir)) })
	return dir
}

// flow injects frames from flowSrc at a steady rate until stopped and
// remembers every marker it sent.
type flow struct {
	mu      sync.Mutex
	markers []packet.Marker
	stop    chan struct{}
	done    chan error
}

func startFlow(t *testing.T, topo *netlab.Topology, b *packet.Builder) *flow {
	t.Helper()
	f := &flow{stop: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-f.stop:
				f.done <- nil
				return
			case <-tick.C:
			}
			var raw [][]byte
			var ms []packet.Marker
			for range 2 {
				fr, err := b.UDP4("flow", flowSrc, dst4)
				if err != nil {
					f.done <- err
					return
				}
				raw, ms = append(raw, fr.Bytes), append(ms, fr.Marker)
			}
			if err := topo.Inject(raw...); err != nil {
				f.done <- err
				return
			}
			f.mu.Lock()
			f.markers = append(f.markers, ms...)
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.Stop() })
	return f
}

func (f *flow) sent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.markers)
}

// waitMore waits until the flow sent n more frames than now, so every
// policy change happens with flow frames in flight before and after it.
func (f *flow) waitMore(t *testing.T, n int) {
	t.Helper()
	target := f.sent() + n
	deadline := time.Now().Add(settleTimeout)
	for f.sent() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the allowed flow stalled: %d of %d frames sent after %v", f.sent(), target, settleTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// Stop ends the flow and returns what it sent. Safe to call twice.
func (f *flow) Stop() ([]packet.Marker, error) {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	select {
	case err := <-f.done:
		f.done <- err // keep it for a second Stop
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.markers, err
	case <-time.After(settleTimeout):
		return nil, errors.New("flow goroutine did not stop within 10s (stuck in Inject?)")
	}
}

func TestLivePolicy(t *testing.T) {
	for _, mode := range []firewall.Mode{firewall.ModeNative, firewall.ModeGeneric} {
		t.Run(mode.String(), func(t *testing.T) { livePolicy(t, mode) })
	}
}

func livePolicy(t *testing.T, mode firewall.Mode) {
	testenv.Setup(t)
	topo := netlab.New(t)
	dir := pinDir(t)
	fw, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	require.NoError(t, topo.DUT.Do(func() error { return fw.Attach(topo.DUTIndex, mode) }))
	attached, err := topo.DUTXDP()
	require.NoError(t, err)
	require.True(t, attached.Attached)

	c, err := topo.Capture()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	b, err := packet.NewBuilder(netlab.SinkMAC)
	require.NoError(t, err)

	before, err := fw.Stats()
	require.NoError(t, err)
	fl := startFlow(t, topo, b)
	start := time.Now()

	fences, delivered, dropped := 0, 0, 0
	// probe sends one frame from the victim and reports whether it arrived.
	probe := func(phase string, want bool) {
		t.Helper()
		fl.waitMore(t, 20)
		f, err := b.UDP4(phase, victim, dst4)
		require.NoError(t, err)
		fence, err := b.UDP4("fence after "+phase, fenceSrc, dst4)
		require.NoError(t, err)
		require.NoError(t, topo.Inject(f.Bytes))
		require.NoError(t, topo.Settle(c, fence, settleTimeout), "phase %q", phase)
		fences++
		got := c.Seen(f.Marker)
		if want {
			delivered++
			assert.True(t, got, "phase %q: %s must be delivered", phase, victim)
		} else {
			dropped++
			assert.False(t, got, "phase %q: %s must be dropped", phase, victim)
		}
		now, err := topo.DUTXDP()
		require.NoError(t, err)
		assert.Equal(t, attached, now, "phase %q: the program on dut0 must stay the same (no detach/reattach)", phase)
		t.Logf("phase %-55q victim delivered=%-5v flow frames so far %d", phase, got, fl.sent())
	}
	blocked := func(fw *firewall.Firewall) []netip.Prefix {
		t.Helper()
		ps, err := fw.Blocked()
		require.NoError(t, err)
		return ps
	}

	probe("not blocked yet", true)
	// Each change below happens while the flow runs (waitMore in probe
	// paces it; it is not an oracle).
	fl.waitMore(t, 20)

	require.NoError(t, fw.Block(victimNet))
	probe("blocked through the loader's handle", false)

	require.NoError(t, fw.Unblock(victimNet))
	probe("unblocked through the loader's handle", true)

	require.NoError(t, runChild("block", dir, victimNet))
	assert.Contains(t, blocked(fw), victimNet, "the child's block is in the live map the loader sees")
	probe("blocked by a separate process via the pinned maps", false)

	second, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, second.Close()) })
	assert.Contains(t, blocked(second), victimNet, "a second handle opened from the pins sees the live set")
	require.NoError(t, second.Unblock(victimNet))
	probe("unblocked by a second handle from the pinned maps", true)

	// F5 as a negative check: a fresh, unpinned load has maps of its own.
	stray, err := firewall.Load(firewall.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, stray.Close()) })
	require.NoError(t, stray.Block(victimNet), "blocking in the stray maps succeeds, which is what hid F5")
	assert.Contains(t, blocked(stray), victimNet)
	assert.NotContains(t, blocked(fw), victimNet, "the live map must not see the stray block")
	probe("F5: blocked only in a fresh unpinned load", true)

	sent, err := fl.Stop()
	require.NoError(t, err, "allowed flow")
	elapsed := time.Since(start)
	final, err := b.UDP4("final fence", fenceSrc, dst4)
	require.NoError(t, err)
	require.NoError(t, topo.Settle(c, final, settleTimeout))
	fences++

	lost := 0
	for _, m := range sent {
		if n := c.Count(m); n != 1 {
			lost++
			assert.Equal(t, 1, n, "flow frame %s delivered %d times", m, n)
		}
	}
	assert.Zero(t, lost, "allowed flow frames lost while the policy changed")
	assert.Greater(t, len(sent), 20, "the flow kept running through the changes")
	t.Logf("allowed flow: %d frames in %v, %d lost; victim delivered %d, dropped %d; %d fences",
		len(sent), elapsed.Round(time.Millisecond), lost, delivered, dropped, fences)

	after, err := fw.Stats()
	require.NoError(t, err)
	passed := uint64(len(sent) + delivered + fences)
	assert.Equal(t, firewall.Stats{Passed: passed, Dropped: uint64(dropped), IPv4: passed + uint64(dropped)},
		sub(after, before), "counter deltas over the whole run")
	viaPins, err := second.Stats()
	require.NoError(t, err)
	assert.Equal(t, after, viaPins, "the second handle reads the same (pinned) counters")
	strayStats, err := stray.Stats()
	require.NoError(t, err)
	assert.Equal(t, firewall.Stats{}, strayStats, "the stray load's counters saw nothing: it is not attached anywhere")
	assert.Zero(t, c.Foreign(), "unexpected frames on dut0: %v", c.ForeignFrames())
}

func sub(a, b firewall.Stats) firewall.Stats {
	return firewall.Stats{Passed: a.Passed - b.Passed, Dropped: a.Dropped - b.Dropped,
		Malformed: a.Malformed - b.Malformed, NonIP: a.NonIP - b.NonIP, VLAN: a.VLAN - b.VLAN,
		IPv4: a.IPv4 - b.IPv4, IPv6: a.IPv6 - b.IPv6, NoList: a.NoList - b.NoList}
}
