package xdp_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
)

// TestHeadersEndingAtFrameEnd kills bounds-check mutants `bpflab mutate
// bpf/firewall` found alive (`>` turned `>=`, `vh + 1` turned `vh + 2`):
// a header that ends exactly where the frame ends is complete, not
// truncated. Frames are built byte by byte to the exact length.
func TestHeadersEndingAtFrameEnd(t *testing.T) {
	testenv.Setup(t)
	fw, err := firewall.Load(firewall.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })

	eth := func(proto uint16) []byte {
		f := []byte{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0, 0}
		binary.BigEndian.PutUint16(f[12:], proto)
		return f
	}
	vlanTag := func(inner uint16) []byte {
		return binary.BigEndian.AppendUint16([]byte{0x00, 0x2a}, inner) // VID 42
	}
	ipv6 := func() []byte {
		h := make([]byte, 40)
		h[0] = 0x60 // version 6
		h[6] = 59   // next header: none; payload length 0
		h[7] = 64
		copy(h[8:], a("2001:db8::2").AsSlice())
		copy(h[24:], dst6.AsSlice())
		return h
	}
	for _, c := range []struct {
		name  string
		frame []byte
		want  firewall.Verdict
		stats firewall.Stats
	}{
		{"vlan tag ends the frame (18 bytes, inner ARP)", append(eth(0x8100), vlanTag(0x0806)...), firewall.XDPPass,
			firewall.Stats{Passed: 1, NonIP: 1, VLAN: 1}},
		{"ipv6 header ends the frame (54 bytes)", append(eth(0x86dd), ipv6()...), firewall.XDPPass,
			firewall.Stats{Passed: 1, IPv6: 1}},
		{"vlan + ipv6 header end the frame (58 bytes)", append(append(eth(0x88a8), vlanTag(0x86dd)...), ipv6()...), firewall.XDPPass,
			firewall.Stats{Passed: 1, IPv6: 1, VLAN: 1}},
		{"ipv6 header one byte short (53 bytes)", append(eth(0x86dd), ipv6()[:39]...), firewall.XDPDrop,
			firewall.Stats{Malformed: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := fw.Stats()
			require.NoError(t, err)
			got, err := fw.TestRun(c.frame)
			require.NoError(t, err)
			assert.Equal(t, c.want, got, "%d-byte frame % x", len(c.frame), c.frame)
			after, err := fw.Stats()
			require.NoError(t, err)
			assert.Equal(t, c.stats, statsDelta(before, after), "counters of one %d-byte frame", len(c.frame))
		})
	}
}

// statsDelta is after - before, counter by counter.
func statsDelta(before, after firewall.Stats) firewall.Stats {
	return firewall.Stats{
		Passed: after.Passed - before.Passed, Dropped: after.Dropped - before.Dropped,
		Malformed: after.Malformed - before.Malformed, NonIP: after.NonIP - before.NonIP,
		VLAN: after.VLAN - before.VLAN, IPv4: after.IPv4 - before.IPv4,
		IPv6: after.IPv6 - before.IPv6, NoList: after.NoList - before.NoList,
	}
}

// TestEmptyBlocklistSlotFailsOpen kills the mutants of the program's
// empty-slot path (documented: passed, counted as NoList): nothing else
// ever leaves a family's slot of the outer array empty. The test empties
// both slots through the pinned outer maps, as another tool could.
func TestEmptyBlocklistSlotFailsOpen(t *testing.T) {
	testenv.Setup(t)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-xdp-mutants-")
	require.NoError(t, err, "create pin dir in bpffs")
	t.Cleanup(func() { assert.NoError(t, os.RemoveAll(dir)) })
	fw, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	// Blocked first, so a lookup that still reached a list would drop.
	require.NoError(t, fw.Block(blockHost))
	require.NoError(t, fw.Block(blockNet6))
	for _, name := range []string{"blocklist_v4", "blocklist_v6"} {
		outer, err := ebpf.LoadPinnedMap(filepath.Join(dir, name), nil)
		require.NoError(t, err, "open the pinned outer map %s", name)
		require.NoError(t, outer.Delete(uint32(0)), "empty slot 0 of %s", name)
		require.NoError(t, outer.Close())
	}

	v4 := make([]byte, 20)
	v4[0], v4[8], v4[9] = 0x45, 64, 17 // IPv4, IHL 5, TTL, UDP
	binary.BigEndian.PutUint16(v4[2:], 20)
	copy(v4[12:], blockHost.Addr().AsSlice())
	copy(v4[16:], dst4.AsSlice())
	v6 := make([]byte, 40)
	v6[0], v6[6], v6[7] = 0x60, 59, 64
	copy(v6[8:], a("2001:db8:bad::1").AsSlice())
	copy(v6[24:], dst6.AsSlice())
	ethType := func(proto uint16, payload []byte) []byte {
		f := []byte{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0, 0}
		binary.BigEndian.PutUint16(f[12:], proto)
		return append(f, payload...)
	}
	for _, c := range []struct {
		name  string
		frame []byte
		stats firewall.Stats
	}{
		{"ipv4", ethType(0x0800, v4), firewall.Stats{Passed: 1, IPv4: 1, NoList: 1}},
		{"ipv6", ethType(0x86dd, v6), firewall.Stats{Passed: 1, IPv6: 1, NoList: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := fw.Stats()
			require.NoError(t, err)
			got, err := fw.TestRun(c.frame)
			require.NoError(t, err)
			assert.Equal(t, firewall.XDPPass, got, "no list in the slot: fail open")
			after, err := fw.Stats()
			require.NoError(t, err)
			assert.Equal(t, c.stats, statsDelta(before, after))
		})
	}
}
