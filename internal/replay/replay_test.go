package replay

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
)

// frameSpec is one frame of the test capture: documentation addresses only.
type frameSpec struct {
	src, dst string
	udp      bool
	blocked  bool // what the test policy must do to it
}

var captureFrames = []frameSpec{
	{src: "192.0.2.7", dst: "198.51.100.1", udp: true, blocked: true},
	{src: "192.0.2.77", dst: "198.51.100.1", udp: true},
	{src: "198.51.100.9", dst: "192.0.2.1", blocked: true}, // TCP
	{src: "2001:db8:bad::1", dst: "2001:db8::1", udp: true, blocked: true},
	{src: "2001:db8::99", dst: "2001:db8::1", udp: true},
}

const testPolicy = "# field report policy\n192.0.2.7/32\n198.51.100.0/24\n2001:db8:bad::/48\n"

// writeCapture writes captureFrames as a pcap file with foreign MACs, as a
// capture from another machine would have.
func writeCapture(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := pcapgo.NewWriter(f)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for i, fs := range captureFrames {
		src, dst := netip.MustParseAddr(fs.src), netip.MustParseAddr(fs.dst)
		require.True(t, packet.Documentation(src) && packet.Documentation(dst), "test frames use documentation addresses")
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)}, DstMAC: net.HardwareAddr{0x02, 0, 0, 0, 1, 0}}
		var ip gopacket.SerializableLayer
		var proto layers.IPProtocol = layers.IPProtocolTCP
		if fs.udp {
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
		if fs.udp {
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

func TestReadCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "field.pcap")
	writeCapture(t, path)
	frames, err := ReadCapture(path)
	require.NoError(t, err)
	require.Len(t, frames, len(captureFrames))
	assert.Equal(t, "192.0.2.7 -> 198.51.100.1 UDP", frames[0].Summary)
	assert.Equal(t, "198.51.100.9 -> 192.0.2.1 TCP", frames[2].Summary)
	assert.Equal(t, 5, frames[4].Index)

	bad := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(bad, []byte("not a capture at all"), 0o644))
	_, err = ReadCapture(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a pcap or pcapng file")
}

// TestReplayOnHost replays the capture on the running kernel: each frame's
// veth and test-run verdicts must agree and match the policy.
func TestReplayOnHost(t *testing.T) {
	testenv.Setup(t)
	dir := t.TempDir()
	pcap, policy := filepath.Join(dir, "field.pcap"), filepath.Join(dir, "policy")
	writeCapture(t, pcap)
	require.NoError(t, os.WriteFile(policy, []byte(testPolicy), 0o644))

	for _, mode := range []string{"native", "generic"} {
		t.Run(mode, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), []string{"--pcap", pcap, "--policy", policy, "--mode", mode, "--kernel", "host"}, &out, &errb)
			t.Log("\n" + out.String())
			require.Equal(t, ExitAgree, code, "stderr: %s", errb.String())
			assert.Contains(t, out.String(), "0 of 5 frames disagree")

			frames, err := ReadCapture(pcap)
			require.NoError(t, err)
			pol, err := readPolicy(policy)
			require.NoError(t, err)
			m, err := parseMode(mode)
			require.NoError(t, err)
			vs, err := Run(context.Background(), Options{Frames: frames, Policy: pol, Mode: m})
			require.NoError(t, err)
			for i, v := range vs {
				want, veth := firewall.XDPPass, "delivered"
				if captureFrames[i].blocked {
					want, veth = firewall.XDPDrop, "dropped"
				}
				assert.Equal(t, want, v.TestRun, "frame %d (%s) test run", v.Index, v.Summary)
				assert.Equal(t, veth, v.Veth, "frame %d (%s) over veth", v.Index, v.Summary)
				assert.True(t, v.Agree, "frame %d", v.Index)
			}
		})
	}
}

func TestMainBadInput(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "field.pcap")
	writeCapture(t, pcap)
	badPolicy := filepath.Join(dir, "policy")
	require.NoError(t, os.WriteFile(badPolicy, []byte("192.0.2.300/32\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "want --pcap FILE"},
		{[]string{"--pcap", filepath.Join(dir, "missing.pcap")}, "missing.pcap"},
		{[]string{"--pcap", pcap, "--policy", badPolicy}, "policy"},
		{[]string{"--pcap", pcap, "--mode", "turbo"}, "--mode \"turbo\""},
		{[]string{"--pcap", pcap, "--expect", filepath.Join(dir, "no-such-expect")}, "no-such-expect"},
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, ExitUsage, Main(context.Background(), tc.args, &out, &errb), "%q", tc.args)
		assert.Contains(t, errb.String(), tc.want, "%q", tc.args)
		assert.Empty(t, out.String(), "nothing replayed for %q", tc.args)
	}
}
