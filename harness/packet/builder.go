package packet

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// UDP ports used by crafted frames: discard (9) as destination so a stack
// that does receive a frame has nothing to answer with but ICMP.
const (
	SrcPort = 49152
	DstPort = 9
)

// Frame is one crafted frame and the marker that identifies it.
type Frame struct {
	Name   string // what the frame is, for messages ("blocked v4 /32")
	Marker Marker
	Bytes  []byte
}

func (f Frame) String() string {
	return fmt.Sprintf("%s (%s, %d bytes)", f.Name, f.Marker, len(f.Bytes))
}

// Builder crafts frames towards one destination MAC, numbering markers from
// 1 so each frame it makes is unique. It is safe for concurrent use.
type Builder struct {
	dst  net.HardwareAddr
	next atomic.Uint32
}

// NewBuilder returns a Builder whose unicast frames go to dst.
func NewBuilder(dst net.HardwareAddr) (*Builder, error) {
	if len(dst) != 6 {
		return nil, fmt.Errorf("destination MAC %q: want 6 bytes, got %d", dst, len(dst))
	}
	return &Builder{dst: append(net.HardwareAddr(nil), dst...)}, nil
}

func (b *Builder) marker() Marker { return Marker(b.next.Add(1)) }

var docPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Documentation reports whether a lies in a documentation range the lab is
// allowed to use.
func Documentation(a netip.Addr) bool {
	for _, p := range docPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func checkAddrs(want4 bool, addrs ...netip.Addr) error {
	for _, a := range addrs {
		if !a.IsValid() || a.Is4() != want4 || a.Is4In6() {
			fam := "IPv6"
			if want4 {
				fam = "IPv4"
			}
			return fmt.Errorf("address %v: want an %s address", a, fam)
		}
		if !Documentation(a) {
			return fmt.Errorf("address %v is outside 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32; use a documentation address", a)
		}
	}
	return nil
}

func (b *Builder) serialize(name string, m Marker, ls ...gopacket.SerializableLayer) (Frame, error) {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		return Frame{}, fmt.Errorf("serialize %s: %w", name, err)
	}
	return Frame{Name: name, Marker: m, Bytes: append([]byte(nil), buf.Bytes()...)}, nil
}

func (b *Builder) eth(m Marker, t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: m.MAC(), DstMAC: b.dst, EthernetType: t}
}

func udp(m Marker) (*layers.UDP, gopacket.Payload) {
	return &layers.UDP{SrcPort: SrcPort, DstPort: DstPort}, gopacket.Payload(m.ID())
}

func ip4(src, dst netip.Addr) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

// UDP4 is an Ethernet/IPv4/UDP frame from src to dst.
func (b *Builder) UDP4(name string, src, dst netip.Addr) (Frame, error) {
	if err := checkAddrs(true, src, dst); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	m := b.marker()
	ip := ip4(src, dst)
	u, p := udp(m)
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	return b.serialize(name, m, b.eth(m, layers.EthernetTypeIPv4), ip, u, p)
}

// UDP6 is an Ethernet/IPv6/UDP frame from src to dst.
func (b *Builder) UDP6(name string, src, dst netip.Addr) (Frame, error) {
	if err := checkAddrs(false, src, dst); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	m := b.marker()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
		SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	u, p := udp(m)
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	return b.serialize(name, m, b.eth(m, layers.EthernetTypeIPv6), ip, u, p)
}

// VLANUDP4 is UDP4 inside one 802.1Q tag with VLAN id vid.
func (b *Builder) VLANUDP4(name string, vid uint16, src, dst netip.Addr) (Frame, error) {
	if vid == 0 || vid >= 4095 {
		return Frame{}, fmt.Errorf("%s: VLAN id %d: want 1..4094", name, vid)
	}
	if err := checkAddrs(true, src, dst); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	m := b.marker()
	tag := &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeIPv4}
	ip := ip4(src, dst)
	u, p := udp(m)
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	return b.serialize(name, m, b.eth(m, layers.EthernetTypeDot1Q), tag, ip, u, p)
}

// ARPRequest is a broadcast "who has target, tell sender".
func (b *Builder) ARPRequest(name string, sender, target netip.Addr) (Frame, error) {
	if err := checkAddrs(true, sender, target); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", name, err)
	}
	m := b.marker()
	eth := b.eth(m, layers.EthernetTypeARP)
	eth.DstMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
		SourceHwAddress: m.MAC(), SourceProtAddress: sender.AsSlice(),
		DstHwAddress: make([]byte, 6), DstProtAddress: target.AsSlice()}
	return b.serialize(name, m, eth, arp)
}

// BadIHL is UDP4 whose IPv4 header length field says ihl 32-bit words
// (valid headers have 5..15); the header checksum is fixed up so only the
// IHL is wrong.
func (b *Builder) BadIHL(name string, ihl uint8, src, dst netip.Addr) (Frame, error) {
	if ihl >= 5 && ihl <= 15 {
		return Frame{}, fmt.Errorf("%s: IHL %d is valid; want 0..4 (too short) or use UDP4", name, ihl)
	}
	f, err := b.UDP4(name, src, dst)
	if err != nil {
		return Frame{}, err
	}
	h := f.Bytes[14:34]
	h[0] = 0x40 | ihl&0x0f
	binary.BigEndian.PutUint16(h[10:12], 0)
	binary.BigEndian.PutUint16(h[10:12], checksum(h))
	return f, nil
}

// Garbage is an n-byte frame: destination MAC, marker source MAC, the given
// EtherType, then bytes from a generator seeded with the marker (so a failing
// case can be rebuilt exactly).
func (b *Builder) Garbage(name string, etherType uint16, n int) (Frame, error) {
	if n < MinFrameLen {
		return Frame{}, fmt.Errorf("%s: length %d: want at least %d bytes (AF_PACKET refuses shorter Ethernet frames)", name, n, MinFrameLen)
	}
	m := b.marker()
	f := make([]byte, n)
	copy(f, b.dst)
	copy(f[6:], m.MAC())
	binary.BigEndian.PutUint16(f[12:], etherType)
	r := rand.New(rand.NewPCG(uint64(m), 0xb1))
	for i := MinFrameLen; i < n; i++ {
		f[i] = byte(r.Uint32())
	}
	return Frame{Name: name, Marker: m, Bytes: f}, nil
}

// Truncate cuts f to its first n bytes, keeping its marker.
func Truncate(f Frame, n int) (Frame, error) {
	if n < MinFrameLen || n >= len(f.Bytes) {
		return Frame{}, fmt.Errorf("truncate %s to %d bytes: want %d..%d", f, n, MinFrameLen, len(f.Bytes)-1)
	}
	return Frame{Name: f.Name, Marker: f.Marker, Bytes: append([]byte(nil), f.Bytes[:n]...)}, nil
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
