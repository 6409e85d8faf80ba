package firewallapi_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
)

func load(t *testing.T, opts firewall.Options) *firewall.Firewall {
	t.Helper()
	testenv.Setup(t)
	fw, err := firewall.Load(opts)
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		t.Fatalf("verifier: %+v", ve)
	}
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	return fw
}

func TestVerdicts(t *testing.T) {
	fw := load(t, firewall.Options{})
	for _, p := range []string{"198.51.100.7/32", "192.0.2.128/25", "2001:db8:bad::/48", "2001:db8::66/128"} {
		require.NoError(t, fw.Block(netip.MustParsePrefix(p)))
	}
	v4ok := ipv4Frame(t, "192.0.2.10", -1)
	badIHL := append([]byte{}, v4ok...)
	badIHL[14] = 0x44 // version 4, ihl 4 (< 5)
	longIHL := append([]byte{}, v4ok...)
	longIHL[14] = 0x4f // ihl 15: 60-byte header does not fit in this frame
	wrongVersion := append([]byte{}, v4ok...)
	wrongVersion[14] = 0x65

	tests := []struct {
		name  string
		frame []byte
		want  firewall.Verdict
		stat  func(firewall.Stats) uint64
	}{
		{"ipv4 allowed", v4ok, firewall.XDPPass, func(s firewall.Stats) uint64 { return s.Passed }},
		{"ipv4 blocked /32", ipv4Frame(t, "198.51.100.7", -1), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Dropped }},
		{"ipv4 neighbour of /32 allowed", ipv4Frame(t, "198.51.100.8", -1), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.Passed }},
		{"ipv4 blocked by /25", ipv4Frame(t, "192.0.2.200", -1), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Dropped }},
		{"ipv4 just below /25 allowed", ipv4Frame(t, "192.0.2.127", -1), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.Passed }},
		{"ipv6 allowed", ipv6Frame(t, "2001:db8::1", -1), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.IPv6 }},
		{"ipv6 blocked /128", ipv6Frame(t, "2001:db8::66", -1), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Dropped }},
		{"ipv6 blocked by /48", ipv6Frame(t, "2001:db8:bad:1::5", -1), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Dropped }},
		{"arp passes as non-ip", arpFrame(t), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.NonIP }},
		{"vlan ipv4 blocked", ipv4Frame(t, "198.51.100.7", 42), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.VLAN }},
		{"vlan ipv4 allowed", ipv4Frame(t, "192.0.2.10", 42), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.VLAN }},
		{"vlan ipv6 blocked", ipv6Frame(t, "2001:db8::66", 7), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Dropped }},
		{"802.1ad tag ipv4 allowed", ethOnly(0x88a8, append([]byte{0, 42, 0x08, 0x00}, v4ok[14:]...)), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.VLAN }},
		{"two tags dropped", ethOnly(0x88a8, append([]byte{0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00}, v4ok[14:]...)), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"truncated vlan tag", ethOnly(0x8100, []byte{0, 42}), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"truncated ipv4 header", ethOnly(0x0800, v4ok[14:14+12]), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"truncated ipv6 header", ethOnly(0x86dd, make([]byte, 39)), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"ipv4 ihl below 5", badIHL, firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"ipv4 ihl beyond frame", longIHL, firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"ipv4 ethertype with version 6", wrongVersion, firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
		{"bare ethernet header, unknown type", ethOnly(0x1234, nil), firewall.XDPPass, func(s firewall.Stats) uint64 { return s.NonIP }},
		{"garbage", []byte("\xff\xff\xff\xff\xff\xff\x00\x01\x02\x03\x04\x05\x08\x00garbage!"), firewall.XDPDrop, func(s firewall.Stats) uint64 { return s.Malformed }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := fw.Stats()
			require.NoError(t, err)
			got, err := fw.TestRun(tt.frame)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "verdict for %x", tt.frame)
			after, err := fw.Stats()
			require.NoError(t, err)
			assert.Equal(t, tt.stat(before)+1, tt.stat(after), "counter did not move by one")
			total := func(s firewall.Stats) uint64 { return s.Passed + s.Dropped + s.Malformed }
			assert.Equal(t, total(before)+1, total(after), "passed+dropped+malformed must count each frame once")
		})
	}
}
