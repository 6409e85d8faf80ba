package xdplen

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLen checks one short and one long frame; on purpose it tests
// neither the 64-byte edge nor a frame starting with 0xff, so some
// mutants survive.
func TestLen(t *testing.T) {
	var objs xdplenObjects
	require.NoError(t, loadXdplenObjects(&objs, nil))
	defer objs.Close()
	for _, c := range []struct {
		size int
		want uint32
	}{{14, 1 /* XDP_DROP */}, {100, 2 /* XDP_PASS */}} {
		ret, err := objs.XdpLen.Run(&ebpf.RunOptions{Data: make([]byte, c.size)})
		require.NoError(t, err)
		assert.Equal(t, c.want, ret, "%d-byte frame", c.size)
	}
}
