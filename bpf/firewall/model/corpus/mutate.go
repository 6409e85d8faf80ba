package corpus

import (
	"encoding/binary"
	"math/rand/v2"
)

// interesting values a mutation writes into EtherType and IP fields.
var interestingTypes = []uint16{0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806, 0x88cc, 0x0000, 0xffff}

// Mutate returns a random variant of frame. The MAC addresses (bytes 0..11)
// are kept, so scenarios can still mark frames; everything after may flip,
// be cut, grow, lose or gain a tag, or get an EtherType, version or IHL
// that the policy treats differently.
func Mutate(r *rand.Rand, frame []byte) []byte {
	b := append([]byte(nil), frame...)
	for n := 1 + r.IntN(3); n > 0; n-- {
		b = mutateOnce(r, b)
	}
	return b
}

func mutateOnce(r *rand.Rand, b []byte) []byte {
	const fixed = 12
	if len(b) <= fixed {
		return append(b, byte(r.IntN(256)))
	}
	switch r.IntN(9) {
	case 0: // flip one bit
		i := fixed + r.IntN(len(b)-fixed)
		b[i] ^= 1 << r.IntN(8)
	case 1: // random byte
		b[fixed+r.IntN(len(b)-fixed)] = byte(r.IntN(256))
	case 2: // cut
		b = b[:fixed+r.IntN(len(b)-fixed+1)]
	case 3: // grow
		for n := 1 + r.IntN(40); n > 0; n-- {
			b = append(b, byte(r.IntN(256)))
		}
	case 4: // EtherType (outer or the one after a tag)
		off := 12
		if len(b) >= 18 && r.IntN(2) == 0 {
			off = 16
		}
		if len(b) >= off+2 {
			binary.BigEndian.PutUint16(b[off:], interestingTypes[r.IntN(len(interestingTypes))])
		}
	case 5: // insert a tag after the MACs
		tpid := []uint16{0x8100, 0x88a8}[r.IntN(2)]
		tag := binary.BigEndian.AppendUint16(nil, tpid)
		tag = binary.BigEndian.AppendUint16(tag, uint16(1+r.IntN(4094)))
		b = append(b[:12:12], append(tag, b[12:]...)...)
	case 6: // remove four bytes after the MACs (drops a tag if there is one)
		if len(b) >= 16 {
			b = append(b[:12:12], b[16:]...)
		}
	case 7, 8: // version / IHL nibble of whatever sits where IP would
		off := 14
		if len(b) >= 14 && (binary.BigEndian.Uint16(b[12:]) == 0x8100 || binary.BigEndian.Uint16(b[12:]) == 0x88a8) {
			off = 18
		}
		if len(b) > off {
			if r.IntN(2) == 0 {
				b[off] = b[off]&0x0f | byte(r.IntN(16))<<4
			} else {
				b[off] = b[off]&0xf0 | byte(r.IntN(16))
			}
		}
	}
	return b
}

// Random returns a seeded stream of mutated templates: the same seed gives
// the same frames anywhere.
type Random struct {
	r         *rand.Rand
	templates []Frame
	Seed      uint64
}

// NewRandom draws mutations of templates from seed.
func NewRandom(seed uint64, templates []Frame) *Random {
	return &Random{r: rand.New(rand.NewPCG(seed, 0x6270666c6162)), templates: templates, Seed: seed}
}

// Next returns the next mutated frame; i numbers it in the stream.
func (g *Random) Next() Frame {
	t := g.templates[g.r.IntN(len(g.templates))]
	return Frame{Name: "mutated " + t.Name, Bytes: Mutate(g.r, t.Bytes)}
}
