package execve

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The event is decoded in the CPU's byte order, the order the BPF program
// wrote it in; distinct ids show a swapped or shifted field.
func TestDecodeEventNativeOrder(t *testing.T) {
	raw := make([]byte, eventSize)
	ne := binary.NativeEndian
	ne.PutUint32(raw[0:], 0x01020304)  // pid
	ne.PutUint32(raw[4:], 0x01020300)  // tgid
	ne.PutUint32(raw[8:], 77)          // ppid
	ne.PutUint32(raw[12:], 0x00010002) // uid
	ne.PutUint32(raw[16:], uint32(execveExecFlagEXEC_F_EXECVEAT))
	copy(raw[commOff:], "chain\x00")
	copy(raw[filenameOff:], "/bin/chain\x00")
	ev, err := decodeEvent(raw)
	require.NoError(t, err)
	assert.Equal(t, Event{PID: 0x01020304, TGID: 0x01020300, PPID: 77, UID: 0x00010002,
		Comm: "chain", Filename: "/bin/chain", Execveat: true}, ev)

	_, err = decodeEvent(raw[:eventSize-1])
	assert.ErrorContains(t, err, "want")
}
