package corpus

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
)

// Frame is one generated frame and what it is.
type Frame struct {
	Name  string
	Bytes []byte
}

// Placeholder MACs; scenarios overwrite the source MAC with a marker.
var (
	DstMAC = [6]byte{0x02, 0, 0, 0, 0, 0x02}
	SrcMAC = [6]byte{0x02, 0, 0, 0, 0, 0x01}
)

// Addresses the templates use by default: all in documentation ranges.
var (
	Src4 = netip.MustParseAddr("192.0.2.10")
	Dst4 = netip.MustParseAddr("192.0.2.1")
	Src6 = netip.MustParseAddr("2001:db8::10")
	Dst6 = netip.MustParseAddr("2001:db8::1")
)

// Tags in front of the IP header.
type Tags int

// The tag stacks the templates come with.
const (
	Untagged   Tags = iota
	Dot1Q           // one 802.1Q tag
	Dot1AD          // one 802.1ad (S-)tag
	QinQ            // 802.1ad outer, 802.1Q inner
	Dot1QDot1Q      // two 802.1Q tags
)

var tagNames = map[Tags]string{Untagged: "plain", Dot1Q: "802.1Q", Dot1AD: "802.1ad", QinQ: "QinQ", Dot1QDot1Q: "802.1Q+802.1Q"}

func (t Tags) String() string { return tagNames[t] }

// Ethernet returns an Ethernet header with the given tags, ending in typ.
func Ethernet(tags Tags, typ uint16) []byte {
	b := append(append([]byte{}, DstMAC[:]...), SrcMAC[:]...)
	tag := func(tpid, vid uint16) {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, vid)
	}
	switch tags {
	case Dot1Q:
		tag(0x8100, 42)
	case Dot1AD:
		tag(0x88a8, 42)
	case QinQ:
		tag(0x88a8, 100)
		tag(0x8100, 42)
	case Dot1QDot1Q:
		tag(0x8100, 100)
		tag(0x8100, 42)
	}
	return binary.BigEndian.AppendUint16(b, typ)
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

var payload = []byte("bpflab-oracle")

func udp(n int) []byte {
	u := make([]byte, 8, 8+n)
	binary.BigEndian.PutUint16(u[0:], 49152)
	binary.BigEndian.PutUint16(u[2:], 9) // discard
	binary.BigEndian.PutUint16(u[4:], uint16(8+n))
	return append(u, payload[:n]...)
}

// IPv4Opts describes an IPv4 header variant.
type IPv4Opts struct {
	IHL      int    // 5..15; options fill 4*(IHL-5) bytes
	FragOff  uint16 // fragment offset in 8-byte units
	MoreFrag bool
}

// IPv4 is an IPv4 header (with options as IHL says) and a UDP payload.
func IPv4(src, dst netip.Addr, o IPv4Opts) []byte {
	if o.IHL == 0 {
		o.IHL = 5
	}
	h := make([]byte, 4*o.IHL)
	h[0] = 0x40 | byte(o.IHL)
	body := udp(len(payload))
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(body)))
	binary.BigEndian.PutUint16(h[4:], 0xb1ab)
	ff := o.FragOff & 0x1fff
	if o.MoreFrag {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:], ff)
	h[8], h[9] = 64, 17
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	// Options: a router alert (4 bytes) when there is room, then NOPs and
	// an end-of-list, so every IHL is a valid option list.
	opts := h[20:]
	if len(opts) >= 4 {
		copy(opts, []byte{0x94, 0x04, 0, 0})
		opts = opts[4:]
	}
	for i := range opts {
		opts[i] = 0x01
	}
	if len(opts) > 0 {
		opts[len(opts)-1] = 0x00
	}
	binary.BigEndian.PutUint16(h[10:], checksum(h))
	return append(h, body...)
}

// IPv6 extension headers the templates can carry, in order.
const (
	extHopByHop = 0
	extDestOpts = 60
	extRouting  = 43
	extFragment = 44
)

// IPv6 is an IPv6 header, the given extension headers and a UDP payload.
func IPv6(src, dst netip.Addr, exts ...uint8) []byte {
	var ext []byte
	next := uint8(17)
	// Built back to front, so each header names the one after it.
	for i := len(exts) - 1; i >= 0; i-- {
		var e []byte
		switch exts[i] {
		case extFragment:
			e = []byte{next, 0, 0, 1, 0xb1, 0xab, 0, 1} // offset 0, M=1
		case extRouting:
			e = []byte{next, 0, 0, 0, 0, 0, 0, 0} // type 0, no segments left
		default:
			e = []byte{next, 0, 1, 4, 0, 0, 0, 0} // PadN
		}
		ext = append(e, ext...)
		next = exts[i]
	}
	body := udp(len(payload))
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(ext)+len(body)))
	h[6], h[7] = next, 64
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(append(h, ext...), body...)
}

// ARP is an ARP request from sender for target.
func ARP(sender, target netip.Addr) []byte {
	a := []byte{0, 1, 0x08, 0x00, 6, 4, 0, 1}
	a = append(a, SrcMAC[:]...)
	s, t := sender.As4(), target.As4()
	a = append(a, s[:]...)
	a = append(a, 0, 0, 0, 0, 0, 0)
	return append(a, t[:]...)
}

// V4Frame is an Ethernet (+tags) IPv4/UDP frame from src.
func V4Frame(tags Tags, src netip.Addr, o IPv4Opts) []byte {
	return append(Ethernet(tags, 0x0800), IPv4(src, Dst4, o)...)
}

// V6Frame is an Ethernet (+tags) IPv6/UDP frame from src; src may be an
// IPv4-mapped address.
func V6Frame(tags Tags, src netip.Addr, exts ...uint8) []byte {
	return append(Ethernet(tags, 0x86dd), IPv6(src, Dst6, exts...)...)
}

// UnknownTypes are EtherTypes the firewall must pass as non-IP: LLDP, local
// experimental, an 802.3 length field, zero, all ones, MPLS, PPPoE.
var UnknownTypes = []uint16{0x88cc, 0x88b5, 0x05dc, 0x0000, 0xffff, 0x8847, 0x8864}

// Templates are one frame of every shape the policy distinguishes, from
// src4/src6 (pass documentation addresses to keep them wire-safe).
func Templates(src4, src6 netip.Addr) []Frame {
	var fs []Frame
	add := func(name string, b []byte) { fs = append(fs, Frame{Name: name, Bytes: b}) }
	for _, tags := range []Tags{Untagged, Dot1Q, Dot1AD, QinQ, Dot1QDot1Q} {
		add(tags.String()+" ipv4", V4Frame(tags, src4, IPv4Opts{}))
		add(tags.String()+" ipv6", V6Frame(tags, src6))
		add(tags.String()+" arp", append(Ethernet(tags, 0x0806), ARP(src4, Dst4)...))
	}
	for ihl := 6; ihl <= 15; ihl++ {
		add("ipv4 ihl "+strconv.Itoa(ihl), V4Frame(Untagged, src4, IPv4Opts{IHL: ihl}))
	}
	add("802.1Q ipv4 ihl 15", V4Frame(Dot1Q, src4, IPv4Opts{IHL: 15}))
	add("ipv4 first fragment", V4Frame(Untagged, src4, IPv4Opts{MoreFrag: true}))
	add("ipv4 middle fragment", V4Frame(Untagged, src4, IPv4Opts{FragOff: 185, MoreFrag: true}))
	add("ipv4 last fragment with options", V4Frame(Untagged, src4, IPv4Opts{IHL: 7, FragOff: 370}))
	add("ipv6 hop-by-hop", V6Frame(Untagged, src6, extHopByHop))
	add("ipv6 hop-by-hop+routing+dest+fragment", V6Frame(Untagged, src6, extHopByHop, extRouting, extDestOpts, extFragment))
	add("ipv6 fragment", V6Frame(Untagged, src6, extFragment))
	add("802.1ad ipv6 dest-opts", V6Frame(Dot1AD, src6, extDestOpts))
	add("ipv6 ipv4-mapped source", V6Frame(Untagged, netip.AddrFrom16(src4.As16()), extHopByHop))
	for _, t := range UnknownTypes {
		add(fmt.Sprintf("ethertype %#04x", t), append(Ethernet(Untagged, t), payload...))
		add(fmt.Sprintf("802.1Q ethertype %#04x", t), append(Ethernet(Dot1Q, t), payload...))
	}
	// IP EtherType with the other family's header: version mismatch.
	add("ipv4 ethertype, ipv6 header", append(Ethernet(Untagged, 0x0800), IPv6(Src6, Dst6)...))
	add("ipv6 ethertype, ipv4 header", append(Ethernet(Untagged, 0x86dd), IPv4(src4, Dst4, IPv4Opts{})...))
	return fs
}

// Truncations returns every prefix of every frame, lengths min..len
// (min 0 gives all of them; the kernel refuses frames below 14 bytes).
func Truncations(fs []Frame, min int) []Frame {
	var out []Frame
	for _, f := range fs {
		for n := min; n <= len(f.Bytes); n++ {
			out = append(out, Frame{Name: f.Name + " cut to " + strconv.Itoa(n), Bytes: append([]byte(nil), f.Bytes[:n]...)})
		}
	}
	return out
}
