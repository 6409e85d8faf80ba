package netlab

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestWriteFrameWaitsForRoom: a frame veth refused with ENOBUFS (receiver
// ring full, frame freed undelivered) is sent again once, not reported as
// an injection failure; a ring that never drains ends at the deadline.
func TestWriteFrameWaitsForRoom(t *testing.T) {
	refusals := 3
	var writes int
	var slept time.Duration
	write := func(b []byte) (int, error) {
		writes++
		if writes <= refusals {
			return 0, unix.ENOBUFS
		}
		return len(b), nil
	}
	n, err := writeFrame(write, make([]byte, 25), time.Second, func(d time.Duration) { slept += d })
	require.NoError(t, err)
	assert.Equal(t, 25, n)
	assert.Equal(t, refusals+1, writes, "sent again after each refusal, delivered once")
	assert.Equal(t, 350*time.Microsecond, slept, "backs off 50+100+200 us")

	writes, slept = 0, 0
	refusals = 1 << 30
	_, err = writeFrame(write, make([]byte, 25), 20*time.Millisecond, func(d time.Duration) { slept += d })
	require.ErrorIs(t, err, unix.ENOBUFS)
	assert.Contains(t, err.Error(), "receiver queue stayed full")
	assert.GreaterOrEqual(t, slept, 20*time.Millisecond)
	assert.Less(t, slept, 30*time.Millisecond)

	writes = 0
	_, err = writeFrame(func([]byte) (int, error) { writes++; return 0, unix.ENETDOWN }, nil, time.Second, func(time.Duration) {})
	require.ErrorIs(t, err, unix.ENETDOWN, "other errors are not retried")
	assert.Equal(t, 1, writes)
}
