package vmlinux

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/bpflab/bpflab/internal/atomicfile"
)

var (
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicGzip = []byte{0x1f, 0x8b, 0x08}
	magicELF  = []byte{0x7f, 'E', 'L', 'F'}
)

// ErrNoPayload means no supported compressed kernel was found in the image.
var ErrNoPayload = errors.New("no xz, zstd or gzip kernel payload found")

// Extract returns the uncompressed kernel ELF inside a bzImage.
func Extract(bzImage []byte) ([]byte, error) {
	var firstErr error
	for _, off := range candidates(bzImage) {
		out, err := decompress(bzImage[off:])
		if err == nil && bytes.HasPrefix(out, magicELF) {
			if _, perr := elf.NewFile(bytes.NewReader(out)); perr == nil {
				return out, nil
			} else if firstErr == nil {
				firstErr = fmt.Errorf("payload at offset %d is not a valid ELF: %w", off, perr)
			}
			continue
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("payload at offset %d: %w", off, err)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, ErrNoPayload
}

// candidates lists payload offsets: the boot header's own first, then every
// compression magic in the image.
func candidates(img []byte) []int {
	var offs []int
	// Boot protocol >= 2.08: payload_offset is relative to the protected
	// mode code, which starts after (setup_sects+1) 512-byte sectors.
	if len(img) > 0x250 && string(img[0x202:0x206]) == "HdrS" && binary.LittleEndian.Uint16(img[0x206:]) >= 0x208 {
		setup := int(img[0x1f1])
		if setup == 0 {
			setup = 4
		}
		off := (setup+1)*512 + int(binary.LittleEndian.Uint32(img[0x248:]))
		if off < len(img) {
			offs = append(offs, off)
		}
	}
	for _, m := range [][]byte{magicXZ, magicZstd, magicGzip} {
		for i := 0; ; {
			j := bytes.Index(img[i:], m)
			if j < 0 {
				break
			}
			offs = append(offs, i+j)
			i += j + 1
		}
	}
	return offs
}

func decompress(p []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(p, magicXZ):
		return unxz(p)
	case bytes.HasPrefix(p, magicZstd):
		d, err := zstd.NewReader(bytes.NewReader(p), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		defer d.Close()
		// The kernel appends the uncompressed size after the frame; the
		// ELF is complete once the frame ends, so trailing bytes may fail.
		out, err := io.ReadAll(d)
		if err != nil && !bytes.HasPrefix(out, magicELF) {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return out, nil
	case bytes.HasPrefix(p, magicGzip):
		g, err := gzip.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, err
		}
		g.Multistream(false)
		out, err := io.ReadAll(g)
		if err != nil && !bytes.HasPrefix(out, magicELF) {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown compression (first bytes % x)", p[:min(len(p), 6)])
}

// HasPVH reports whether an ELF kernel carries the Xen PVH entry note
// (name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY = 18), which qemu needs to
// boot an uncompressed vmlinux with -kernel.
func HasPVH(kernel []byte) (bool, error) {
	f, err := elf.NewFile(bytes.NewReader(kernel))
	if err != nil {
		return false, fmt.Errorf("parse kernel ELF: %w", err)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return false, fmt.Errorf("read ELF notes: %w", err)
		}
		for len(data) >= 12 {
			namesz := int(binary.LittleEndian.Uint32(data))
			descsz := int(binary.LittleEndian.Uint32(data[4:]))
			typ := binary.LittleEndian.Uint32(data[8:])
			name := align4(namesz)
			end := 12 + name + align4(descsz)
			if end > len(data) || namesz > len(data) {
				break
			}
			if typ == 18 && string(bytes.TrimRight(data[12:12+namesz], "\x00")) == "Xen" {
				return true, nil
			}
			data = data[end:]
		}
	}
	return false, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// Cached returns the path of the PVH-bootable vmlinux for bzImagePath,
// extracting it into cacheDir (keyed by the bzImage's sha256) the first
// time. It returns "" and no error when the kernel has no PVH note or no
// payload this package can decompress: the caller boots the bzImage then.
func Cached(bzImagePath, cacheDir string) (string, error) {
	img, err := os.ReadFile(bzImagePath)
	if err != nil {
		return "", fmt.Errorf("read kernel image: %w", err)
	}
	sum := sha256.Sum256(img)
	key := hex.EncodeToString(sum[:])[:32]
	out := filepath.Join(cacheDir, "vmlinux-"+key)
	nopvh := out + ".nopvh"
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if _, err := os.Stat(nopvh); err == nil {
		return "", nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("vmlinux cache: %w", err)
	}
	kernel, err := Extract(img)
	pvh := false
	if err == nil {
		pvh, err = HasPVH(kernel)
	}
	if err != nil || !pvh {
		reason := "no PVH ELF note"
		if err != nil {
			reason = err.Error()
		}
		_ = os.WriteFile(nopvh, []byte(reason+"\n"), 0o644)
		return "", nil
	}
	if err := atomicfile.WriteFile(out, kernel, 0o644); err != nil {
		return "", fmt.Errorf("vmlinux cache: %w", err)
	}
	return out, nil
}
