package corpus

import (
	"encoding/binary"
	"net/netip"

	"github.com/bpflab/bpflab/bpf/firewall/model"
)

// lastOf is the last address of p.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Edges are, for every prefix, its first and last address and the
// addresses one below and one above (where they exist), deduplicated in
// order: where an off-by-one in a prefix length or a byte order shows.
func Edges(ps []netip.Prefix) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	add := func(a netip.Addr) {
		if a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, p := range ps {
		first, last := p.Masked().Addr(), lastOf(p)
		add(first.Prev())
		add(first)
		add(last)
		add(last.Next())
	}
	return out
}

// EdgeFrames are frames from every edge of the policy's prefixes: IPv4
// edges plain, tagged and as IPv4-mapped IPv6 sources; IPv6 edges plain
// and tagged.
func EdgeFrames(p model.Policy) []Frame {
	var fs []Frame
	add := func(name string, b []byte) { fs = append(fs, Frame{Name: name, Bytes: b}) }
	for _, a := range Edges(p.V4) {
		add("ipv4 from "+a.String(), V4Frame(Untagged, a, IPv4Opts{}))
		add("802.1Q ipv4 ihl 6 from "+a.String(), V4Frame(Dot1Q, a, IPv4Opts{IHL: 6}))
		add("ipv6 from mapped "+a.String(), V6Frame(Untagged, netip.AddrFrom16(a.As16())))
	}
	for _, a := range Edges(p.V6) {
		add("ipv6 from "+a.String(), V6Frame(Untagged, a))
		add("802.1ad ipv6 hop-by-hop from "+a.String(), V6Frame(Dot1AD, a, extHopByHop))
	}
	return fs
}

var docPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

func docAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range docPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Documentation reports whether a frame may go on a (test) wire: the
// addresses of the IPv4, IPv6 or ARP header after the Ethernet header and
// up to two tags lie in documentation ranges (an IP header whose version
// contradicts its EtherType is dropped by any stack, its bytes are no
// addresses). It does not ask the model, so a frame the model gets wrong
// is still kept in the lab. Addresses cut short by the frame's end are no
// addresses.
func Documentation(frame []byte) bool {
	off := 14
	for tags := 0; tags < 3 && len(frame) >= off; tags++ {
		var addrs []netip.Addr
		switch binary.BigEndian.Uint16(frame[off-2:]) {
		case model.EtherTypeDot1Q, model.EtherTypeDot1AD:
			off += 4
			continue
		case model.EtherTypeIPv4:
			if len(frame) > off && frame[off]>>4 == 4 {
				addrs = slice(frame, off+12, 4, off+16, 4)
			}
		case model.EtherTypeIPv6:
			if len(frame) > off && frame[off]>>4 == 6 {
				addrs = slice(frame, off+8, 16, off+24, 16)
			}
		case model.EtherTypeARP:
			addrs = slice(frame, off+14, 4, off+24, 4)
		}
		for _, a := range addrs {
			if !docAddr(a) {
				return false
			}
		}
		break
	}
	return true
}

// slice reads the addresses at the given (offset, size) pairs that fit in
// the frame; an address cut short is not an address.
func slice(frame []byte, pairs ...int) []netip.Addr {
	var out []netip.Addr
	for i := 0; i+1 < len(pairs); i += 2 {
		off, n := pairs[i], pairs[i+1]
		if off+n <= len(frame) {
			a, _ := netip.AddrFromSlice(frame[off : off+n])
			out = append(out, a)
		}
	}
	return out
}
