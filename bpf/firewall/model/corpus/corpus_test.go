package corpus_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall/model"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
)

func TestEdges(t *testing.T) {
	tests := []struct {
		prefix string
		want   []string
	}{
		{"192.0.2.64/26", []string{"192.0.2.63", "192.0.2.64", "192.0.2.127", "192.0.2.128"}},
		{"198.51.100.7/32", []string{"198.51.100.6", "198.51.100.7", "198.51.100.8"}},
		{"0.0.0.0/0", []string{"0.0.0.0", "255.255.255.255"}},
		{"2001:db8::66/128", []string{"2001:db8::65", "2001:db8::66", "2001:db8::67"}},
		{"2001:db8:8000::/33", []string{"2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", "2001:db8:8000::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"}},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			var got []string
			for _, a := range corpus.Edges([]netip.Prefix{netip.MustParsePrefix(tt.prefix)}) {
				got = append(got, a.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTemplatesCoverEveryBranch(t *testing.T) {
	p := model.MustPolicy("192.0.2.10/32", "2001:db8::10/128")
	reasons := map[model.Reason]int{}
	all := corpus.Truncations(corpus.Templates(corpus.Src4, corpus.Src6), 0)
	for _, f := range all {
		reasons[p.Judge(f.Bytes).Reason]++
	}
	for _, r := range []model.Reason{model.ShortEthernet, model.ShortVLAN, model.SecondTag, model.ShortIPv4,
		model.BadVersion4, model.LongIHL, model.ShortIPv6, model.BadVersion6, model.NotIP, model.Blocked} {
		assert.Positive(t, reasons[r], "no template frame reaches %q", r)
	}
	// ShortIHL and Allowed come from mutations and other sources.
	g := corpus.NewRandom(1, corpus.Templates(corpus.Src4, corpus.Src6))
	for i := 0; i < 20000; i++ {
		reasons[model.Policy{}.Judge(g.Next().Bytes).Reason]++
	}
	assert.Positive(t, reasons[model.ShortIHL], "mutations reach ihl < 5")
	assert.Positive(t, reasons[model.Allowed])
}

func TestTruncations(t *testing.T) {
	fs := []corpus.Frame{{Name: "x", Bytes: []byte{1, 2, 3}}}
	got := corpus.Truncations(fs, 0)
	require.Len(t, got, 4)
	for n, f := range got {
		assert.True(t, bytes.Equal(fs[0].Bytes[:n], f.Bytes), "cut to %d: %x", n, f.Bytes)
	}
	assert.Len(t, corpus.Truncations(fs, 2), 2)
}

func TestTemplatesAreDocumentation(t *testing.T) {
	for _, f := range corpus.Templates(corpus.Src4, corpus.Src6) {
		assert.True(t, corpus.Documentation(f.Bytes), "%s: %x", f.Name, f.Bytes)
	}
	assert.False(t, corpus.Documentation(corpus.V4Frame(corpus.Untagged, netip.MustParseAddr("10.0.0.1"), corpus.IPv4Opts{})))
	assert.False(t, corpus.Documentation(corpus.V6Frame(corpus.QinQ, netip.MustParseAddr("2001:db9::1"))))
	assert.True(t, corpus.Documentation(corpus.V6Frame(corpus.Untagged, netip.MustParseAddr("::ffff:198.51.100.7"))))
}

func TestRandomIsSeededAndKeepsMACs(t *testing.T) {
	ts := corpus.Templates(corpus.Src4, corpus.Src6)
	a, b := corpus.NewRandom(42, ts), corpus.NewRandom(42, ts)
	c := corpus.NewRandom(43, ts)
	differ := false
	for i := 0; i < 200; i++ {
		fa, fb, fc := a.Next(), b.Next(), c.Next()
		require.Equal(t, fa.Bytes, fb.Bytes, "same seed, frame %d", i)
		differ = differ || !bytes.Equal(fa.Bytes, fc.Bytes)
		if len(fa.Bytes) >= 12 {
			assert.Equal(t, append(corpus.DstMAC[:], corpus.SrcMAC[:]...), fa.Bytes[:12])
		}
	}
	assert.True(t, differ, "another seed gives other frames")
}
