// Package replaytest writes the test capture and policy that the replay
// tests (internal/replay, and the command in internal/cli) share.
package replaytest

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/packet"
)

// FrameSpec is one frame of the test capture: documentation addresses only.
type FrameSpec struct {
	Src, Dst string
	UDP      bool
	Blocked  bool // what Policy must do to it
}

// Frames are the frames WriteCapture writes, in order.
var Frames = []FrameSpec{
	{Src: "192.0.2.7", Dst: "198.51.100.1", UDP: true, Blocked: true},
	{Src: "192.0.2.77", Dst: "198.51.100.1", UDP: true},
	{Src: "198.51.100.9", Dst: "192.0.2.1", Blocked: true}, // TCP
	{Src: "2001:db8:bad::1", Dst: "2001:db8::1", UDP: true, Blocked: true},
	{Src: "2001:db8::99", Dst: "2001:db8::1", UDP: true},
}

// PolicyPrefixes is the blocklist that blocks exactly the Blocked frames.
const PolicyPrefixes = "192.0.2.7/32 198.51.100.0/24 2001:db8:bad::/48"

// Policy is PolicyPrefixes as a policy file (`bpflab policy load` format).
const Policy = "# field report policy\n192.0.2.7/32\n198.51.100.0/24\n2001:db8:bad::/48\n"

// WriteCapture writes Frames as a pcap file with foreign MACs, as a
// capture from another machine would have.
func WriteCapture(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := pcapgo.NewWriter(f)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for i, fs := range Frames {
		src, dst := netip.MustParseAddr(fs.Src), netip.MustParseAddr(fs.Dst)
		require.True(t, packet.Documentation(src) && packet.Documentation(dst), "test frames use documentation addresses")
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)}, DstMAC: net.HardwareAddr{0x02, 0, 0, 0, 1, 0}}
		var ip gopacket.SerializableLayer
		var proto layers.IPProtocol = layers.IPProtocolTCP
		if fs.UDP {
			proto = layers.IPProtocolUDP
		}
		var nl gopacket.NetworkLayer
		if src.Is4() {
			eth.EthernetType = layers.EthernetTypeIPv4
			v4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
			ip, nl = v4, v4
		} else {
			eth.EthernetType = layers.EthernetTypeIPv6
			v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
			ip, nl = v6, v6
		}
		var l4 gopacket.SerializableLayer
		if fs.UDP {
			u := &layers.UDP{SrcPort: 40000, DstPort: 9}
			require.NoError(t, u.SetNetworkLayerForChecksum(nl))
			l4 = u
		} else {
			tc := &layers.TCP{SrcPort: 40000, DstPort: 80, SYN: true, Window: 1024}
			require.NoError(t, tc.SetNetworkLayerForChecksum(nl))
			l4 = tc
		}
		buf := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, l4, gopacket.Payload("bpflab replay")))
		data := buf.Bytes()
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(data), Length: len(data)}, data))
	}
}
