package model_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall/model"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
)

var policy = model.MustPolicy("192.0.2.66/32", "192.0.2.128/25", "2001:db8::66/128", "2001:db8:bad::/48")

func a(s string) netip.Addr { return netip.MustParseAddr(s) }

// Counter contributions, written out from the package documentation.
var (
	passV4    = model.Counters{Passed: 1, IPv4: 1}
	dropV4    = model.Counters{Dropped: 1, IPv4: 1}
	passV6    = model.Counters{Passed: 1, IPv6: 1}
	dropV6    = model.Counters{Dropped: 1, IPv6: 1}
	passNonIP = model.Counters{Passed: 1, NonIP: 1}
	bad       = model.Counters{Malformed: 1}
	tag       = model.Counters{VLAN: 1}
)

func set(b []byte, i int, v byte) []byte {
	b = append([]byte(nil), b...)
	b[i] = v
	return b
}

func TestJudge(t *testing.T) {
	v4 := corpus.V4Frame(corpus.Untagged, a("192.0.2.10"), corpus.IPv4Opts{})
	ihl15 := corpus.V4Frame(corpus.Untagged, a("192.0.2.10"), corpus.IPv4Opts{IHL: 15})
	tests := []struct {
		name    string
		policy  model.Policy
		frame   []byte
		verdict model.Verdict
		delta   model.Counters
		reason  model.Reason
	}{
		{"empty frame", policy, nil, model.Drop, bad, model.ShortEthernet},
		{"13 bytes", policy, v4[:13], model.Drop, bad, model.ShortEthernet},
		{"bare ethernet, ipv4 type", policy, v4[:14], model.Drop, bad, model.ShortIPv4},
		{"ipv4 header one byte short", policy, v4[:33], model.Drop, bad, model.ShortIPv4},
		{"ipv4 header exactly", policy, v4[:34], model.Pass, passV4, model.Allowed},
		{"ipv4 allowed", policy, v4, model.Pass, passV4, model.Allowed},
		{"ipv4 /32 host", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.66"), corpus.IPv4Opts{}), model.Drop, dropV4, model.Blocked},
		{"ipv4 below /32", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.65"), corpus.IPv4Opts{}), model.Pass, passV4, model.Allowed},
		{"ipv4 above /32", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.67"), corpus.IPv4Opts{}), model.Pass, passV4, model.Allowed},
		{"ipv4 first of /25", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.128"), corpus.IPv4Opts{}), model.Drop, dropV4, model.Blocked},
		{"ipv4 last of /25", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.255"), corpus.IPv4Opts{}), model.Drop, dropV4, model.Blocked},
		{"ipv4 one below /25", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.127"), corpus.IPv4Opts{}), model.Pass, passV4, model.Allowed},
		{"ipv4 ihl 4", policy, set(v4, 14, 0x44), model.Drop, bad, model.ShortIHL},
		{"ipv4 ihl 0", policy, set(v4, 14, 0x40), model.Drop, bad, model.ShortIHL},
		{"ipv4 version 6", policy, set(v4, 14, 0x65), model.Drop, bad, model.BadVersion4},
		{"ipv4 ihl 15 fits", policy, ihl15, model.Pass, passV4, model.Allowed},
		{"ipv4 ihl 15 one byte short", policy, ihl15[:14+59], model.Drop, bad, model.LongIHL},
		{"ipv4 ihl 15 header exactly", policy, ihl15[:14+60], model.Pass, passV4, model.Allowed},
		{"ipv4 ihl 15 claimed, 20 bytes there", policy, set(v4, 14, 0x4f)[:34], model.Drop, bad, model.LongIHL},
		{"ipv4 fragment from blocked host", policy, corpus.V4Frame(corpus.Untagged, a("192.0.2.66"), corpus.IPv4Opts{FragOff: 185, MoreFrag: true}), model.Drop, dropV4, model.Blocked},
		{"802.1Q ipv4 blocked", policy, corpus.V4Frame(corpus.Dot1Q, a("192.0.2.66"), corpus.IPv4Opts{}), model.Drop, dropV4.Add(tag), model.Blocked},
		{"802.1ad ipv4 allowed", policy, corpus.V4Frame(corpus.Dot1AD, a("192.0.2.10"), corpus.IPv4Opts{}), model.Pass, passV4.Add(tag), model.Allowed},
		{"QinQ dropped, tag counted", policy, corpus.V4Frame(corpus.QinQ, a("192.0.2.10"), corpus.IPv4Opts{}), model.Drop, bad.Add(tag), model.SecondTag},
		{"two 802.1Q tags", policy, corpus.V4Frame(corpus.Dot1QDot1Q, a("192.0.2.10"), corpus.IPv4Opts{}), model.Drop, bad.Add(tag), model.SecondTag},
		{"tag cut to 3 bytes", policy, corpus.V4Frame(corpus.Dot1Q, a("192.0.2.10"), corpus.IPv4Opts{})[:17], model.Drop, bad, model.ShortVLAN},
		{"tag complete, nothing after", policy, corpus.V4Frame(corpus.Dot1Q, a("192.0.2.10"), corpus.IPv4Opts{})[:18], model.Drop, bad.Add(tag), model.ShortIPv4},
		{"ipv6 allowed", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8::10")), model.Pass, passV6, model.Allowed},
		{"ipv6 /128", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8::66")), model.Drop, dropV6, model.Blocked},
		{"ipv6 next to /128", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8::67")), model.Pass, passV6, model.Allowed},
		{"ipv6 last of /48", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8:bad:ffff:ffff:ffff:ffff:ffff")), model.Drop, dropV6, model.Blocked},
		{"ipv6 above /48", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8:bae::")), model.Pass, passV6, model.Allowed},
		{"ipv6 with extension headers, blocked", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8:bad::1"), 0, 43, 60, 44), model.Drop, dropV6, model.Blocked},
		{"ipv6 header one byte short", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8::10"))[:53], model.Drop, bad, model.ShortIPv6},
		{"ipv6 header exactly", policy, corpus.V6Frame(corpus.Untagged, a("2001:db8::10"))[:54], model.Pass, passV6, model.Allowed},
		{"ipv6 version 4", policy, set(corpus.V6Frame(corpus.Untagged, a("2001:db8::10")), 14, 0x45), model.Drop, bad, model.BadVersion6},
		{"mapped source of blocked v4 host", policy, corpus.V6Frame(corpus.Untagged, a("::ffff:192.0.2.66")), model.Drop, dropV6, model.Blocked},
		{"mapped source of allowed v4 host", policy, corpus.V6Frame(corpus.Untagged, a("::ffff:192.0.2.65")), model.Pass, passV6, model.Allowed},
		{"mapped source ignores the v6 list", model.MustPolicy("::/0"), corpus.V6Frame(corpus.Untagged, a("::ffff:192.0.2.66")), model.Pass, passV6, model.Allowed},
		{"v4-compatible (not mapped) source uses the v6 list", model.MustPolicy("::/96"), corpus.V6Frame(corpus.Untagged, a("::192.0.2.66")), model.Drop, dropV6, model.Blocked},
		{"arp passes", policy, append(corpus.Ethernet(corpus.Untagged, 0x0806), corpus.ARP(a("192.0.2.66"), a("192.0.2.1"))...), model.Pass, passNonIP, model.NotIP},
		{"802.1Q arp", policy, append(corpus.Ethernet(corpus.Dot1Q, 0x0806), corpus.ARP(a("192.0.2.66"), a("192.0.2.1"))...), model.Pass, passNonIP.Add(tag), model.NotIP},
		{"bare header, unknown type", policy, corpus.Ethernet(corpus.Untagged, 0x88b5), model.Pass, passNonIP, model.NotIP},
		{"/0 blocks every v4 source", model.MustPolicy("0.0.0.0/0"), v4, model.Drop, dropV4, model.Blocked},
		{"empty v4 slot fails open", model.Policy{V4: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, NoV4List: true}, v4, model.Pass, passV4.Add(model.Counters{NoList: 1}), model.Allowed},
		{"empty v4 slot, mapped source", model.Policy{NoV4List: true}, corpus.V6Frame(corpus.Untagged, a("::ffff:192.0.2.66")), model.Pass, passV6.Add(model.Counters{NoList: 1}), model.Allowed},
		{"empty v6 slot", model.Policy{NoV6List: true}, corpus.V6Frame(corpus.Untagged, a("2001:db8::66")), model.Pass, passV6.Add(model.Counters{NoList: 1}), model.Allowed},
		{"empty v6 slot does not touch v4", model.Policy{NoV6List: true}, v4, model.Pass, passV4, model.Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.policy.Judge(tt.frame)
			assert.Equal(t, tt.verdict, r.Verdict, "verdict for %x", tt.frame)
			assert.Equal(t, tt.delta, r.Delta, "counters for %x", tt.frame)
			assert.Equal(t, tt.reason, r.Reason)
			assert.EqualValues(t, 1, r.Delta.Frames(), "every frame counts once in passed+dropped+malformed")
		})
	}
}

func TestNewPolicyRefusesWhatTheFirewallRefuses(t *testing.T) {
	for _, s := range []string{"192.0.2.1/24", "::ffff:192.0.2.0/120", "2001:db8::1/32"} {
		_, err := model.NewPolicy(netip.MustParsePrefix(s))
		assert.Error(t, err, s)
	}
	_, err := model.NewPolicy(netip.Prefix{})
	assert.Error(t, err)
	p, err := model.NewPolicy(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32"))
	require.NoError(t, err)
	assert.Len(t, p.V4, 1)
	assert.Len(t, p.V6, 1)
}

func TestCountersArithmetic(t *testing.T) {
	c := model.Counters{1, 2, 3, 4, 5, 6, 7, 8}
	assert.Equal(t, c, c.Add(c).Sub(c))
	assert.EqualValues(t, 6, c.Frames())
	assert.Equal(t, "XDP_PASS", model.Pass.String())
	assert.Equal(t, "XDP_UNKNOWN(9)", model.Verdict(9).String())
}
