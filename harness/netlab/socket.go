package netlab

import (
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// htons converts to network byte order: a swap on little-endian CPUs, the
// identity on big-endian ones (s390x). An unconditional swap made ETH_P_ALL
// 0x0300 there, and the capture socket saw nothing.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// openPacketSocket opens a non-blocking AF_PACKET SOCK_RAW socket inside ns,
// bound to ifindex. proto 0 makes a send-only socket (the kernel hooks no
// receive handler for it); ETH_P_ALL receives every frame of the device.
// The socket stays in ns after Do returns.
func openPacketSocket(ns *Namespace, ifindex int, proto uint16) (*os.File, error) {
	var f *os.File
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(proto)))
		if err != nil {
			return fmt.Errorf("socket(AF_PACKET): %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifindex}); err != nil {
			unix.Close(fd)
			return fmt.Errorf("bind AF_PACKET socket to ifindex %d: %w", ifindex, err)
		}
		// os.NewFile registers the non-blocking fd with the runtime poller,
		// so reads honour deadlines and Close wakes a blocked reader.
		f = os.NewFile(uintptr(fd), fmt.Sprintf("packet:%s:%d", ns.Name, ifindex))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", ns.Name, err)
	}
	return f, nil
}
