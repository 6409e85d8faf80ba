package firewallapi_test

import (
	"net"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/bpflab/bpflab/bpf/firewall"
)

// TestAttachDetach attaches to lo inside a throw-away network namespace, so
// no real interface of the machine is touched.
func TestAttachDetach(t *testing.T) {
	fw := load(t, firewall.Options{})
	runtime.LockOSThread() // never unlocked: the thread dies with the test goroutine if restore fails
	orig, err := netns.Get()
	require.NoError(t, err)
	defer orig.Close()
	ns, err := netns.New()
	require.NoError(t, err)
	defer ns.Close()
	defer func() {
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
	}()

	lo, err := net.InterfaceByName("lo")
	require.NoError(t, err)
	assert.ErrorContains(t, fw.Attach(0, firewall.ModeGeneric), "invalid interface index 0")
	assert.ErrorContains(t, fw.Attach(lo.Index, firewall.Mode(9)), "unknown XDP mode")
	require.False(t, fw.Attached())

	require.NoError(t, fw.Attach(lo.Index, firewall.ModeGeneric))
	assert.True(t, fw.Attached())
	assert.ErrorContains(t, fw.Attach(lo.Index, firewall.ModeGeneric), "already attached")
	require.NoError(t, fw.Detach())
	assert.False(t, fw.Attached())
	require.NoError(t, fw.Detach(), "second detach is a no-op")
}
