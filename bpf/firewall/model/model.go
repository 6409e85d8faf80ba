package model

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Verdict is an XDP action, numbered as in the kernel's enum xdp_action.
type Verdict uint32

// The XDP actions. The firewall returns only Drop and Pass; the others
// exist so a kernel that answers something else is named correctly.
const (
	Aborted  Verdict = 0
	Drop     Verdict = 1
	Pass     Verdict = 2
	Tx       Verdict = 3
	Redirect Verdict = 4
)

func (v Verdict) String() string {
	switch v {
	case Aborted:
		return "XDP_ABORTED"
	case Drop:
		return "XDP_DROP"
	case Pass:
		return "XDP_PASS"
	case Tx:
		return "XDP_TX"
	case Redirect:
		return "XDP_REDIRECT"
	}
	return fmt.Sprintf("XDP_UNKNOWN(%d)", uint32(v))
}

// Counters are the firewall's counters (bpf/firewall.Stats, kept separate
// on purpose: the model must not share code with what it judges).
type Counters struct {
	Passed    uint64
	Dropped   uint64
	Malformed uint64
	NonIP     uint64
	VLAN      uint64
	IPv4      uint64
	IPv6      uint64
	NoList    uint64
}

// Add returns c + o.
func (c Counters) Add(o Counters) Counters {
	return Counters{c.Passed + o.Passed, c.Dropped + o.Dropped, c.Malformed + o.Malformed,
		c.NonIP + o.NonIP, c.VLAN + o.VLAN, c.IPv4 + o.IPv4, c.IPv6 + o.IPv6, c.NoList + o.NoList}
}

// Sub returns c - o.
func (c Counters) Sub(o Counters) Counters {
	return Counters{c.Passed - o.Passed, c.Dropped - o.Dropped, c.Malformed - o.Malformed,
		c.NonIP - o.NonIP, c.VLAN - o.VLAN, c.IPv4 - o.IPv4, c.IPv6 - o.IPv6, c.NoList - o.NoList}
}

// Frames is Passed + Dropped + Malformed: every frame counts once there.
func (c Counters) Frames() uint64 { return c.Passed + c.Dropped + c.Malformed }

func (c Counters) String() string {
	return fmt.Sprintf("passed=%d dropped=%d malformed=%d nonip=%d vlan=%d ipv4=%d ipv6=%d nolist=%d",
		c.Passed, c.Dropped, c.Malformed, c.NonIP, c.VLAN, c.IPv4, c.IPv6, c.NoList)
}

// Policy is what the firewall is configured with.
type Policy struct {
	V4, V6 []netip.Prefix
	// NoV4List and NoV6List model an empty blocklist slot (no trie at
	// all, not an empty trie): lookups there fail open and count NoList.
	NoV4List, NoV6List bool
}

// NewPolicy sorts prefixes into the two families. It refuses what
// bpf/firewall refuses (invalid, non-canonical, IPv4-mapped, zoned), so a
// policy the model accepts is one the firewall accepts too.
func NewPolicy(prefixes ...netip.Prefix) (Policy, error) {
	var p Policy
	for _, pr := range prefixes {
		switch {
		case !pr.IsValid():
			return Policy{}, fmt.Errorf("prefix %q is not a valid CIDR prefix", pr)
		case pr.Addr().Is4In6():
			return Policy{}, fmt.Errorf("prefix %s is IPv4-mapped; write it as an IPv4 prefix", pr)
		case pr.Addr().Zone() != "":
			return Policy{}, fmt.Errorf("prefix %s has a zone", pr)
		case pr.Masked() != pr:
			return Policy{}, fmt.Errorf("prefix %s has host bits set", pr)
		case pr.Addr().Is4():
			p.V4 = append(p.V4, pr)
		default:
			p.V6 = append(p.V6, pr)
		}
	}
	return p, nil
}

// MustPolicy is NewPolicy for fixed tables; it panics on bad input.
func MustPolicy(prefixes ...string) Policy {
	ps := make([]netip.Prefix, len(prefixes))
	for i, s := range prefixes {
		ps[i] = netip.MustParsePrefix(s)
	}
	p, err := NewPolicy(ps...)
	if err != nil {
		panic(err)
	}
	return p
}

// Prefixes returns all prefixes of the policy, IPv4 first.
func (p Policy) Prefixes() []netip.Prefix {
	return append(append([]netip.Prefix(nil), p.V4...), p.V6...)
}

// lookup reports whether a lies in list; with noList the slot is empty,
// which counts NoList and passes (fail open).
func lookup(list []netip.Prefix, noList bool, a netip.Addr, c *Counters) bool {
	if noList {
		c.NoList++
		return false
	}
	for _, pr := range list {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// Reason says why a frame got its verdict, for messages.
type Reason string

// Reasons, one per documented branch of the policy.
const (
	ShortEthernet Reason = "truncated Ethernet header"
	ShortVLAN     Reason = "truncated VLAN tag"
	SecondTag     Reason = "second VLAN tag"
	ShortIPv4     Reason = "truncated IPv4 header"
	BadVersion4   Reason = "IPv4 EtherType, IP version not 4"
	ShortIHL      Reason = "IPv4 ihl below 5"
	LongIHL       Reason = "IPv4 header (ihl) longer than the frame"
	ShortIPv6     Reason = "truncated IPv6 header"
	BadVersion6   Reason = "IPv6 EtherType, IP version not 6"
	NotIP         Reason = "not IP"
	Blocked       Reason = "source blocked"
	Allowed       Reason = "source allowed"
)

// Result is the model's judgement of one frame.
type Result struct {
	Verdict Verdict
	Delta   Counters // exactly how much each counter moves
	Reason  Reason
	// Source is the source address the policy was checked against (zero
	// when the frame got no lookup); for an IPv4-mapped IPv6 source it is
	// the IPv4 address.
	Source netip.Addr
	// L3 is the offset of the IP header (0 when there is none).
	L3 int
	// EtherType is the innermost EtherType read (0 if none was read).
	EtherType uint16
}

func (r Result) String() string {
	return fmt.Sprintf("%s (%s) %s", r.Verdict, r.Reason, r.Delta)
}

// EtherTypes the policy distinguishes.
const (
	EtherTypeIPv4   = 0x0800
	EtherTypeIPv6   = 0x86dd
	EtherTypeARP    = 0x0806
	EtherTypeDot1Q  = 0x8100
	EtherTypeDot1AD = 0x88a8
)

// EthernetLen is the Ethernet header length; BPF_PROG_TEST_RUN and
// AF_PACKET refuse shorter input, so such frames never reach the program
// (Judge still answers for them, as the program would).
const EthernetLen = 14

func isTag(t uint16) bool { return t == EtherTypeDot1Q || t == EtherTypeDot1AD }

func malformed(r Result, why Reason) Result {
	r.Verdict, r.Reason = Drop, why
	r.Delta.Malformed++
	return r
}

func decide(r Result, blocked bool) Result {
	if blocked {
		r.Verdict, r.Reason = Drop, Blocked
		r.Delta.Dropped++
	} else {
		r.Verdict, r.Reason = Pass, Allowed
		r.Delta.Passed++
	}
	return r
}

// Judge applies the policy to one frame.
func (p Policy) Judge(frame []byte) Result {
	var r Result
	if len(frame) < EthernetLen {
		return malformed(r, ShortEthernet)
	}
	typ := binary.BigEndian.Uint16(frame[12:])
	off := EthernetLen
	if isTag(typ) {
		if len(frame) < off+4 {
			return malformed(r, ShortVLAN)
		}
		r.Delta.VLAN++
		typ = binary.BigEndian.Uint16(frame[off+2:])
		off += 4
		if isTag(typ) {
			r.EtherType = typ
			return malformed(r, SecondTag)
		}
	}
	r.EtherType = typ
	switch typ {
	case EtherTypeIPv4:
		return p.judge4(r, frame, off)
	case EtherTypeIPv6:
		return p.judge6(r, frame, off)
	}
	r.Verdict, r.Reason = Pass, NotIP
	r.Delta.NonIP++
	r.Delta.Passed++
	return r
}

func (p Policy) judge4(r Result, frame []byte, off int) Result {
	r.L3 = off
	if len(frame) < off+20 {
		return malformed(r, ShortIPv4)
	}
	if frame[off]>>4 != 4 {
		return malformed(r, BadVersion4)
	}
	ihl := int(frame[off] & 0x0f)
	if ihl < 5 {
		return malformed(r, ShortIHL)
	}
	if len(frame) < off+4*ihl {
		return malformed(r, LongIHL)
	}
	r.Delta.IPv4++
	r.Source = netip.AddrFrom4([4]byte(frame[off+12 : off+16]))
	return decide(r, lookup(p.V4, p.NoV4List, r.Source, &r.Delta))
}

func (p Policy) judge6(r Result, frame []byte, off int) Result {
	r.L3 = off
	if len(frame) < off+40 {
		return malformed(r, ShortIPv6)
	}
	if frame[off]>>4 != 6 {
		return malformed(r, BadVersion6)
	}
	r.Delta.IPv6++
	src := netip.AddrFrom16([16]byte(frame[off+8 : off+24]))
	if src.Is4In6() {
		// The IPv4 host behind a mapped address: the IPv4 list decides.
		r.Source = src.Unmap()
		return decide(r, lookup(p.V4, p.NoV4List, r.Source, &r.Delta))
	}
	r.Source = src
	return decide(r, lookup(p.V6, p.NoV6List, r.Source, &r.Delta))
}
