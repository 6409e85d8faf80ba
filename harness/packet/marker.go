package packet

import (
	"encoding/binary"
	"fmt"
	"net"
)

// Marker identifies one crafted frame. It is encoded in the source MAC as
// 02:b1 followed by the 32-bit value (locally administered, unicast).
type Marker uint32

// markerOUI are the first two bytes of every marked source MAC: 0x02 is the
// locally administered unicast bit pattern, 0xb1 stands for bpflab.
var markerOUI = [2]byte{0x02, 0xb1}

// MinFrameLen is the shortest frame an AF_PACKET SOCK_RAW socket sends on an
// Ethernet device (the kernel refuses anything below ETH_HLEN with EINVAL).
const MinFrameLen = 14

// MAC is the source MAC address that carries m.
func (m Marker) MAC() net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	copy(mac, markerOUI[:])
	binary.BigEndian.PutUint32(mac[2:], uint32(m))
	return mac
}

// ID is the 8-byte payload tag: "BL" + 2 reserved bytes + the marker.
func (m Marker) ID() []byte {
	id := []byte{'B', 'L', 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(id[4:], uint32(m))
	return id
}

func (m Marker) String() string { return fmt.Sprintf("marker#%d", uint32(m)) }

// MarkerOf extracts the marker from a frame's source MAC. ok is false for
// frames shorter than 12 bytes or whose source MAC is not a marker.
func MarkerOf(frame []byte) (m Marker, ok bool) {
	if len(frame) < 12 || frame[6] != markerOUI[0] || frame[7] != markerOUI[1] {
		return 0, false
	}
	return Marker(binary.BigEndian.Uint32(frame[8:12])), true
}
