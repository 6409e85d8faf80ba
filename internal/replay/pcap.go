package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Frame is one captured Ethernet frame.
type Frame struct {
	Index   int // 1-based position in the capture
	Data    []byte
	Summary string // e.g. "192.0.2.7 -> 198.51.100.1 UDP"
}

// pcapngMagic starts a pcapng file (a Section Header Block).
var pcapngMagic = []byte{0x0a, 0x0d, 0x0d, 0x0a}

// ReadCapture reads every frame of a pcap or pcapng file with Ethernet
// link type.
func ReadCapture(path string) ([]Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("capture %s: too short to be a pcap or pcapng file", path)
	}
	type source interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var src source
	var link layers.LinkType
	if bytes.Equal(head, pcapngMagic) {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("capture %s: %w", path, err)
		}
		src, link = r, r.LinkType()
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("capture %s: not a pcap or pcapng file: %w", path, err)
		}
		src, link = r, r.LinkType()
	}
	if link != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("capture %s: link type %s: only Ethernet captures can be replayed over veth", path, link)
	}
	var out []Frame
	for {
		data, _, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("capture %s: frame %d: %w", path, len(out)+1, err)
		}
		out = append(out, Frame{Index: len(out) + 1, Data: data, Summary: Summarize(data)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("capture %s holds no frames", path)
	}
	return out, nil
}

// Summarize describes a frame as "src -> dst PROTO" (or its EtherType for
// non-IP frames).
func Summarize(data []byte) string {
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	var src, dst string
	if n := p.NetworkLayer(); n != nil {
		src, dst = n.NetworkFlow().Src().String(), n.NetworkFlow().Dst().String()
	}
	proto := ""
	if t := p.TransportLayer(); t != nil {
		proto = t.LayerType().String()
	} else if l := p.Layer(layers.LayerTypeICMPv4); l != nil {
		proto = "ICMPv4"
	} else if l := p.Layer(layers.LayerTypeICMPv6); l != nil {
		proto = "ICMPv6"
	}
	if src == "" {
		if e, ok := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
			return fmt.Sprintf("non-IP ethertype 0x%04x, %d bytes", uint16(e.EthernetType), len(data))
		}
		return fmt.Sprintf("undecodable, %d bytes", len(data))
	}
	return fmt.Sprintf("%s -> %s %s", src, dst, proto)
}
