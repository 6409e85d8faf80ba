package policycli_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
)

// TestZeroLossSwap: `policy load` replaces the whole set with a large one
// while an allowed flow runs: no flow frame is lost, and the sources in the
// new set drop right after the command returns.
func TestZeroLossSwap(t *testing.T) {
	l := newLab(t, "generic")
	n := scale(t)
	blocked := []netip.Prefix{netip.PrefixFrom(victim, 32), netip.MustParsePrefix("2001:db8:bad::/48")}
	path := writePolicy(t, n, blocked...)
	// An old entry that the new set does not have must pass afterwards.
	old := netip.MustParseAddr("198.51.100.99")
	mustCLI(t, l.topo.DUT, l.args("policy", "block", old.String())...)
	require.False(t, l.delivered(t, "old set in force", old))
	require.True(t, l.delivered(t, "victim allowed by the old set", victim))

	var (
		mu      sync.Mutex
		sent    []packet.Marker
		stop    = make(chan struct{})
		flowErr = make(chan error, 1)
	)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				flowErr <- nil
				return
			case <-tick.C:
			}
			f, err := l.b.UDP4("flow", flowSrc, dst4)
			if err == nil {
				err = l.topo.Inject(f.Bytes)
			}
			if err != nil {
				flowErr <- err
				return
			}
			mu.Lock()
			sent = append(sent, f.Marker)
			mu.Unlock()
		}
	}()
	var once sync.Once
	stopFlow := func() []packet.Marker {
		once.Do(func() {
			close(stop)
			select {
			case err := <-flowErr:
				assert.NoError(t, err, "flow")
			case <-time.After(settleTimeout):
				t.Error("flow goroutine did not stop within 10s (stuck in Inject?)")
			}
		})
		mu.Lock()
		defer mu.Unlock()
		return sent
	}
	t.Cleanup(func() { stopFlow() })

	time.Sleep(50 * time.Millisecond) // flow frames before the swap
	start := time.Now()
	load := mustCLI(t, l.topo.DUT, l.args("policy", "load", path)...)
	took := time.Since(start)
	assert.Contains(t, load.stdout, "loaded")
	// Right after the command: the new set is in force.
	assert.False(t, l.delivered(t, "victim right after the swap", victim), "%s is in the new set", victim)
	assert.False(t, l.delivered(t, "v6 right after the swap", victim6))
	assert.True(t, l.delivered(t, "old entry gone after the swap", old), "%s was only in the old set", old)
	time.Sleep(20 * time.Millisecond)
	markers := stopFlow()

	fence, err := l.b.UDP4("final fence", fenceSrc, dst4)
	require.NoError(t, err)
	require.NoError(t, l.topo.Settle(l.capture, fence, settleTimeout))
	lost := 0
	for _, m := range markers {
		if !l.capture.Seen(m) {
			lost++
		}
	}
	t.Logf("swapped in %d entries in %v (CLI process wall time); flow: %d frames sent, %d lost", n, took, len(markers), lost)
	require.Greater(t, len(markers), 20, "the flow must have run across the swap")
	assert.Zero(t, lost, "allowed flow frames lost during the swap")

	fw, err := firewall.Open(firewall.Options{PinDir: l.pinDir})
	require.NoError(t, err)
	defer fw.Close()
	v4, v6, err := fw.Entries()
	require.NoError(t, err)
	assert.Equal(t, n-1, v4, "IPv4 entries in the live set")
	assert.Equal(t, 1, v6, "IPv6 entries in the live set")
}
