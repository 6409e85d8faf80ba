package netlab

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
)

// htons must give the bytes 0x00 0x03 for ETH_P_ALL in memory, whatever
// the CPU's byte order.
func TestHtonsIsNetworkOrderInMemory(t *testing.T) {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], htons(0x0003))
	assert.Equal(t, [2]byte{0x00, 0x03}, b)
	binary.NativeEndian.PutUint16(b[:], htons(0x86dd))
	assert.Equal(t, [2]byte{0x86, 0xdd}, b)
}
