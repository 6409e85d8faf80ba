package vmlinux

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// xz filter IDs used by kernel builds (xz --x86 --lzma2).
const (
	filterX86   = 0x04
	filterLZMA2 = 0x21
)

// unxz decodes the first block of an xz stream whose filter chain is LZMA2,
// optionally preceded by the x86 BCJ filter. The block's check is not
// verified; the caller validates the result as an ELF file instead.
func unxz(p []byte) ([]byte, error) {
	if len(p) < 12+8 {
		return nil, fmt.Errorf("xz: stream too short")
	}
	hdr := p[12:]
	size := (int(hdr[0]) + 1) * 4
	if hdr[0] == 0 || size > len(hdr) {
		return nil, fmt.Errorf("xz: bad block header")
	}
	flags := hdr[1]
	r := bytes.NewReader(hdr[2:size])
	if flags&0x40 != 0 { // compressed size present
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, fmt.Errorf("xz: block header: %w", err)
		}
	}
	if flags&0x80 != 0 { // uncompressed size present
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, fmt.Errorf("xz: block header: %w", err)
		}
	}
	var bcj bool
	var bcjStart uint32
	var dictCap int
	for i := 0; i <= int(flags&3); i++ {
		id, err1 := binary.ReadUvarint(r)
		n, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || n > uint64(r.Len()) {
			return nil, fmt.Errorf("xz: bad filter flags")
		}
		props := make([]byte, n)
		_, _ = io.ReadFull(r, props)
		switch {
		case id == filterX86 && len(props) == 0:
			bcj = true
		case id == filterX86 && len(props) == 4:
			bcj, bcjStart = true, binary.LittleEndian.Uint32(props)
		case id == filterLZMA2 && len(props) == 1:
			dictCap = lzma2Dict(props[0])
		default:
			return nil, fmt.Errorf("xz: unsupported filter 0x%x", id)
		}
	}
	if dictCap == 0 {
		return nil, fmt.Errorf("xz: no LZMA2 filter in block")
	}
	cfg := lzma.Reader2Config{DictCap: max(dictCap, lzma.MinDictCap)}
	lr, err := cfg.NewReader2(bytes.NewReader(hdr[size:]))
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	out, err := io.ReadAll(lr)
	if err != nil {
		return nil, fmt.Errorf("xz: lzma2: %w", err)
	}
	if bcj {
		unBCJx86(out, bcjStart)
	}
	return out, nil
}

// lzma2Dict decodes the LZMA2 dictionary size property.
func lzma2Dict(b byte) int {
	if b >= 40 {
		return 1 << 31
	}
	return (2 | int(b&1)) << (b/2 + 11)
}

// unBCJx86 reverses the x86 branch converter in place. The encoder turned
// the relative targets of CALL (E8) and JMP (E9) rel32 instructions into
// absolute ones to help compression; decoding subtracts the position again.
// A 3-bit history of recently seen E8/E9 bytes decides, as in the encoder,
// which candidates were converted (see the .xz file format specification).
func unBCJx86(buf []byte, start uint32) {
	allowed := [8]bool{true, true, true, false, true, false, false, false}
	bitNum := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	isMS := func(b byte) bool { return b == 0x00 || b == 0xff }
	prevPos := -5
	var prevMask uint32
	for i := 0; i+4 < len(buf); i++ {
		if buf[i]&0xfe != 0xe8 {
			continue
		}
		d := i - prevPos
		if d > 3 {
			prevMask = 0
		} else {
			prevMask = (prevMask << (d - 1)) & 7
			if prevMask != 0 {
				b := buf[i+4-int(bitNum[prevMask])]
				if !allowed[prevMask] || isMS(b) {
					prevPos = i
					prevMask = prevMask<<1 | 1
					continue
				}
			}
		}
		prevPos = i
		if !isMS(buf[i+4]) {
			prevMask = prevMask<<1 | 1
			continue
		}
		src := binary.LittleEndian.Uint32(buf[i+1:])
		var dest uint32
		for {
			dest = src - (start + uint32(i) + 5)
			if prevMask == 0 {
				break
			}
			j := bitNum[prevMask] * 8
			if !isMS(byte(dest >> (24 - j))) {
				break
			}
			src = dest ^ (1<<(32-j) - 1)
		}
		dest &= 0x01ffffff
		dest |= -(dest & 0x01000000)
		binary.LittleEndian.PutUint32(buf[i+1:], dest)
		i += 4
	}
}
