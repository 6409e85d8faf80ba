package fieldbugs_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/loadreport"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/fixtures"
	"github.com/bpflab/bpflab/internal/objsign"
)

var (
	dst4      = netip.MustParseAddr("192.0.2.1")
	blocked4  = netip.MustParseAddr("198.51.100.7")
	blockedIP = netip.PrefixFrom(blocked4, 32)
)

// F2: h_proto read before the bounds check. The load report must show the
// rejection, the verifier's reason and the offending instruction: the
// 2-byte load at offset 12 (h_proto) of the packet.
func TestF2ReadBeforeBoundsCheck(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.XDP)

	// A plain load fails with the verifier's error.
	spec, _, err := objsign.LoadSpec(fixtures.F2Object(), nil)
	require.NoError(t, err)
	_, err = ebpf.NewCollection(spec)
	var ve *ebpf.VerifierError
	require.True(t, errors.As(err, &ve), "F2 fixture must be rejected by the verifier, got %v", err)

	r, err := loadreport.Build([]loadreport.Object{
		{Name: "f2", Object: fixtures.F2Object()},
		{Name: loadreport.ObjectFirewall, Object: firewall.EmbeddedObject()},
	})
	require.NoError(t, err)
	bug, ok := r.Program("f2", "xdp_parse_unchecked")
	require.True(t, ok, "F2 program missing from the load report")
	require.False(t, bug.Loaded, "the verifier accepted a read before the bounds check")
	assert.Contains(t, bug.Error, "invalid access to packet", "the verifier's reason")
	assert.NotEmpty(t, bug.VerifierLog, "full verifier log kept")
	assert.Regexp(t, `^\d+: \(69\) r\d = \*\(u16 \*\)\(r\d \+12\)`, bug.Offending, "offending instruction: the h_proto load")
	assert.Contains(t, bug.MarkedLog(""), ">>> "+bug.Offending, "the offending instruction is highlighted")
	t.Logf("harness reported:\n%s", bug.MarkedLog("  "))

	fixed, ok := r.Program(loadreport.ObjectFirewall, "xdp_firewall")
	require.True(t, ok)
	assert.True(t, fixed.Loaded, "the fixed firewall must load: %s", fixed.Error)
}

// F3: a host-order EtherType constant never matches, so a blocked IPv4
// source passes. The verdict check must say so; the fixed firewall drops.
func TestF3HostOrderEtherType(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.XDP)
	b, err := packet.NewBuilder(netlab.SinkMAC)
	require.NoError(t, err)
	frame, err := b.UDP4("IPv4 from a blocked source", blocked4, dst4)
	require.NoError(t, err)

	bug, err := fixtures.LoadF3()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, bug.Close()) })
	require.NoError(t, bug.Block(blocked4))
	got, err := bug.TestRun(frame.Bytes)
	require.NoError(t, err)
	rec := &recorder{}
	ok := checkVerdict(rec, frame.Name, got, firewall.XDPDrop)
	if kernelByteOrder() == "big-endian" {
		// On a big-endian CPU (s390x) host order is network order: the
		// seed's htons is the identity there and its constant is right,
		// so F3 shows on little-endian kernels only.
		require.True(t, ok, "big-endian: the host-order EtherType equals the network-order one: %s", rec)
		t.Logf("big-endian kernel: the host-order EtherType constant is correct here (F3 shows on little-endian kernels only)")
	} else {
		requireDetected(t, rec, "expected XDP_DROP got XDP_PASS")
	}

	fixed, err := firewall.Load(firewall.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fixed.Close()) })
	require.NoError(t, fixed.Block(blockedIP))
	v, err := fixed.TestRun(frame.Bytes)
	require.NoError(t, err)
	checkVerdict(t, frame.Name, uint32(v), firewall.XDPDrop)
}

// F6: a 16-byte net.IP key and a Go bool value for a map with 4-byte keys
// and values. Nothing may be written, and the harness's checked update
// names both sizes.
func TestF6WrongKeyAndValueSize(t *testing.T) {
	testenv.Setup(t)
	fw, err := fixtures.LoadF3()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	m := fw.Map()
	ip := net.ParseIP(blocked4.String()) // 16 bytes, as net.ParseIP returns

	err = fixtures.SeedBlock(m, ip, true)
	require.Error(t, err, "the kernel map accepted a 16-byte key and a bool value")
	assert.Contains(t, err.Error(), "doesn't marshal to 4 bytes")

	err = fixtures.CheckedUpdate(m, ip, true)
	require.ErrorIs(t, err, fixtures.ErrSize)
	assert.Contains(t, err.Error(), "key of Go type net.IP encodes to 16 bytes, map wants 4")
	assert.Contains(t, err.Error(), "value of Go type bool encodes to 1 bytes, map wants 4")
	t.Logf("harness reported: %v", err)

	var k, v uint32
	assert.False(t, m.Iterate().Next(&k, &v), "a failed update must leave the map empty")

	// The fix: fixed-size encoding.
	require.NoError(t, fixtures.CheckedUpdate(m, blocked4.As4(), uint32(1)))
	var val uint32
	require.NoError(t, m.Lookup(blocked4.As4(), &val))
	assert.Equal(t, uint32(1), val)
}
