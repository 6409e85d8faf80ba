package firewallapi_test

import (
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"
)

// Small frame builders for the table tests (kept local on purpose: this
// package must not depend on the shared harness).
var (
	srcMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	dstMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	require.NoError(t, gopacket.SerializeLayers(buf, opts, ls...))
	return buf.Bytes()
}

func udpPayload() gopacket.SerializableLayer { return gopacket.Payload([]byte("bpflab")) }

func ipv4Frame(t testing.TB, src string, vlan int) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP("192.0.2.1").To4()}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	return withEth(t, layers.EthernetTypeIPv4, vlan, ip, udp, udpPayload())
}

func ipv6Frame(t testing.TB, src string, vlan int) []byte {
	t.Helper()
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP("2001:db8::1")}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	return withEth(t, layers.EthernetTypeIPv6, vlan, ip, udp, udpPayload())
}

func arpFrame(t *testing.T) []byte {
	t.Helper()
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
		SourceHwAddress: srcMAC, SourceProtAddress: net.ParseIP("192.0.2.66").To4(),
		DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP("192.0.2.1").To4()}
	return withEth(t, layers.EthernetTypeARP, -1, arp)
}

// withEth prepends an Ethernet header and, when vlan >= 0, one 802.1Q tag.
func withEth(t testing.TB, typ layers.EthernetType, vlan int, rest ...gopacket.SerializableLayer) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: typ}
	ls := []gopacket.SerializableLayer{eth}
	if vlan >= 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(vlan), Type: typ})
	}
	return serialize(t, append(ls, rest...)...)
}

// ethOnly is an Ethernet header with the given EtherType and raw payload.
func ethOnly(typ uint16, payload []byte) []byte {
	f := append(append([]byte{}, dstMAC...), srcMAC...)
	f = append(f, byte(typ>>8), byte(typ))
	return append(f, payload...)
}
