package packet

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	dstMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	v4a    = netip.MustParseAddr("192.0.2.10")
	v4b    = netip.MustParseAddr("198.51.100.7")
	v6a    = netip.MustParseAddr("2001:db8::10")
	v6b    = netip.MustParseAddr("2001:db8::1")
)

func newBuilder(t *testing.T) *Builder {
	t.Helper()
	b, err := NewBuilder(dstMAC)
	require.NoError(t, err)
	return b
}

func decode(t *testing.T, f Frame) gopacket.Packet {
	t.Helper()
	p := gopacket.NewPacket(f.Bytes, layers.LayerTypeEthernet, gopacket.Default)
	require.Nil(t, p.ErrorLayer(), "decode %s", f)
	eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	assert.Equal(t, f.Marker.MAC(), eth.SrcMAC, "source MAC carries the marker")
	m, ok := MarkerOf(f.Bytes)
	require.True(t, ok)
	assert.Equal(t, f.Marker, m)
	return p
}

func payloadID(t *testing.T, p gopacket.Packet) Marker {
	t.Helper()
	u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	require.True(t, ok, "frame has a UDP layer")
	require.Len(t, u.Payload, 8)
	assert.Equal(t, []byte("BL\x00\x00"), u.Payload[:4])
	return Marker(binary.BigEndian.Uint32(u.Payload[4:]))
}

func TestUDP4(t *testing.T) {
	b := newBuilder(t)
	f, err := b.UDP4("v4", v4b, v4a)
	require.NoError(t, err)
	p := decode(t, f)
	ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	assert.Equal(t, v4b.AsSlice(), []byte(ip.SrcIP.To4()))
	assert.Equal(t, v4a.AsSlice(), []byte(ip.DstIP.To4()))
	assert.EqualValues(t, 5, ip.IHL)
	assert.Equal(t, uint16(0), checksum(f.Bytes[14:34]), "valid IPv4 header checksum")
	assert.Equal(t, f.Marker, payloadID(t, p))
	assert.Len(t, f.Bytes, 60, "gopacket pads Ethernet frames to the 60-byte minimum")
}

func TestUDP6(t *testing.T) {
	b := newBuilder(t)
	f, err := b.UDP6("v6", v6a, v6b)
	require.NoError(t, err)
	p := decode(t, f)
	ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
	assert.Equal(t, v6a.AsSlice(), []byte(ip.SrcIP))
	assert.Equal(t, f.Marker, payloadID(t, p))
}

func TestVLAN(t *testing.T) {
	b := newBuilder(t)
	f, err := b.VLANUDP4("vlan", 42, v4b, v4a)
	require.NoError(t, err)
	p := decode(t, f)
	tag, ok := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
	require.True(t, ok)
	assert.EqualValues(t, 42, tag.VLANIdentifier)
	assert.Equal(t, uint16(0x8100), binary.BigEndian.Uint16(f.Bytes[12:]))
	ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	assert.Equal(t, v4b.AsSlice(), []byte(ip.SrcIP.To4()))
	assert.Equal(t, f.Marker, payloadID(t, p))

	for _, vid := range []uint16{0, 4095} {
		_, err := b.VLANUDP4("vlan", vid, v4b, v4a)
		assert.ErrorContains(t, err, "VLAN id")
	}
}

func TestARP(t *testing.T) {
	b := newBuilder(t)
	f, err := b.ARPRequest("arp", v4a, v4b)
	require.NoError(t, err)
	p := decode(t, f)
	arp := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	assert.EqualValues(t, layers.ARPRequest, arp.Operation)
	assert.Equal(t, v4b.AsSlice(), arp.DstProtAddress)
	assert.Equal(t, net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, net.HardwareAddr(f.Bytes[:6]))
}

func TestBadIHL(t *testing.T) {
	b := newBuilder(t)
	f, err := b.BadIHL("ihl", 3, v4b, v4a)
	require.NoError(t, err)
	assert.Equal(t, byte(0x43), f.Bytes[14])
	assert.Equal(t, uint16(0), checksum(f.Bytes[14:34]), "only the IHL is wrong, the checksum matches")
	_, err = b.BadIHL("ihl", 5, v4b, v4a)
	assert.ErrorContains(t, err, "IHL 5 is valid")
}

func TestGarbage(t *testing.T) {
	b := newBuilder(t)
	f, err := b.Garbage("junk", 0x0800, 64)
	require.NoError(t, err)
	require.Len(t, f.Bytes, 64)
	m, ok := MarkerOf(f.Bytes)
	require.True(t, ok)
	assert.Equal(t, f.Marker, m)
	assert.Equal(t, uint16(0x0800), binary.BigEndian.Uint16(f.Bytes[12:]))
	g, err := b.Garbage("junk", 0x0800, 64)
	require.NoError(t, err)
	assert.NotEqual(t, f.Bytes[14:], g.Bytes[14:], "different markers seed different bytes")
	_, err = b.Garbage("junk", 0x0800, 13)
	assert.ErrorContains(t, err, "at least 14")
}

func TestTruncate(t *testing.T) {
	b := newBuilder(t)
	f, err := b.UDP4("v4", v4b, v4a)
	require.NoError(t, err)
	c, err := Truncate(f, 20)
	require.NoError(t, err)
	assert.Equal(t, f.Bytes[:20], c.Bytes)
	assert.Equal(t, f.Marker, c.Marker)
	c.Bytes[0] ^= 0xff
	assert.NotEqual(t, f.Bytes[0], c.Bytes[0], "truncation copies")
	for _, n := range []int{0, 13, len(f.Bytes)} {
		_, err := Truncate(f, n)
		assert.Error(t, err, "length %d", n)
	}
}

func TestMarkersUnique(t *testing.T) {
	b := newBuilder(t)
	seen := map[Marker]bool{}
	for range 1000 {
		f, err := b.UDP4("v4", v4b, v4a)
		require.NoError(t, err)
		require.False(t, seen[f.Marker], "duplicate %s", f.Marker)
		seen[f.Marker] = true
	}
}

func TestRefusesNonDocumentationAddresses(t *testing.T) {
	b := newBuilder(t)
	tests := []struct {
		name string
		make func() (Frame, error)
		want string
	}{
		{"public v4", func() (Frame, error) { return b.UDP4("x", netip.MustParseAddr("8.8.8.8"), v4a) }, "outside"},
		{"private v4", func() (Frame, error) { return b.UDP4("x", v4a, netip.MustParseAddr("10.0.0.1")) }, "outside"},
		{"public v6", func() (Frame, error) { return b.UDP6("x", netip.MustParseAddr("2001:4860::1"), v6a) }, "outside"},
		{"v6 to UDP4", func() (Frame, error) { return b.UDP4("x", v6a, v4a) }, "want an IPv4"},
		{"v4 to UDP6", func() (Frame, error) { return b.UDP6("x", v4a, v6a) }, "want an IPv6"},
		{"zero addr", func() (Frame, error) { return b.ARPRequest("x", netip.Addr{}, v4a) }, "want an IPv4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.make()
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err := NewBuilder(net.HardwareAddr{1, 2, 3})
	assert.ErrorContains(t, err, "want 6 bytes")
}

func TestMarkerOfForeignFrames(t *testing.T) {
	_, ok := MarkerOf([]byte{1, 2, 3})
	assert.False(t, ok, "short frame")
	frame := make([]byte, 60)
	copy(frame[6:], net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1})
	_, ok = MarkerOf(frame)
	assert.False(t, ok, "kernel-sent frame")
}
