package netlab

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// XDPState is what the kernel reports about the XDP program on dut0.
type XDPState struct {
	Attached bool
	ProgID   uint32
	Mode     uint32 // XDP_ATTACHED_*: 1 driver (native), 2 generic (skb), 3 hw
}

// DUTXDP asks the kernel, through netlink in the DUT namespace, which XDP
// program is attached to dut0 and how.
func (t *Topology) DUTXDP() (XDPState, error) {
	h, err := netlink.NewHandleAt(t.DUT.handle, unix.NETLINK_ROUTE)
	if err != nil {
		return XDPState{}, fmt.Errorf("netlink handle in namespace dut: %w", err)
	}
	defer h.Close()
	l, err := h.LinkByIndex(t.DUTIndex)
	if err != nil {
		return XDPState{}, fmt.Errorf("namespace dut: find %s: %w", DUTLink, err)
	}
	x := l.Attrs().Xdp
	if x == nil || !x.Attached {
		return XDPState{}, nil
	}
	return XDPState{Attached: true, ProgID: x.ProgId, Mode: x.AttachMode}, nil
}
