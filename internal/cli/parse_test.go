package cli

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/cli/command"
)

func TestParseCIDR(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "198.51.100.7", want: "198.51.100.7/32"},
		{in: "2001:db8::66", want: "2001:db8::66/128"},
		{in: "::ffff:192.0.2.1", want: "192.0.2.1/32"},
		{in: "192.0.2.0/24", want: "192.0.2.0/24"},
		{in: "2001:db8:bad::/48", want: "2001:db8:bad::/48"},
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
		{in: "192.0.2.1/24", err: `"192.0.2.1/24" is ambiguous: it has host bits set; did you mean 192.0.2.0/24 (the network) or 192.0.2.1/32 (the one address)?`},
		{in: "2001:db8::1/32", err: "did you mean 2001:db8::/32"},
		{in: "192.0.2.256", err: "is not an IP address or CIDR prefix"},
		{in: "192.0.2.0/33", err: "prefix length out of range"},
		{in: "fe80::1%eth0", err: "has a zone"},
		{in: "::ffff:192.0.2.0/120", err: "IPv4-mapped"},
		{in: "", err: "empty CIDR"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCIDR(tc.in)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.String())
		})
	}
}

func TestParsePolicy(t *testing.T) {
	good := "# header\n\n198.51.100.7\n  192.0.2.128/25   # trailing comment\n\t2001:db8:bad::/48\r\n"
	ps, err := ParsePolicy(strings.NewReader(good), "good.txt")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("198.51.100.7/32"),
		netip.MustParsePrefix("192.0.2.128/25"),
		netip.MustParsePrefix("2001:db8:bad::/48"),
	}, ps)

	bad := []struct{ name, text, want string }{
		{"column of an indented bad entry", "198.51.100.7\n   198.51.100.0/33\n", "f.txt:2:4: "},
		{"ambiguous entry", "\n\n192.0.2.1/24\n", "f.txt:3:1: \"192.0.2.1/24\" is ambiguous"},
		{"two entries on a line", "192.0.2.0/24  198.51.100.0/24\n", "f.txt:1:15: unexpected \"198.51.100.0/24\""},
		{"garbage", "block everything\n", "f.txt:1:7: unexpected \"everything\""},
		{"line too long", strings.Repeat("1", 2<<20), "f.txt:1: bufio.Scanner: token too long"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(strings.NewReader(tc.text), "f.txt")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	in := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	var b strings.Builder
	require.NoError(t, writePolicy(&b, "export", in))
	out, err := ParsePolicy(strings.NewReader(b.String()), "export")
	require.NoError(t, err)
	assert.Equal(t, in, out, "export output loads back unchanged")
}

func TestExitStatus(t *testing.T) {
	var out, errb strings.Builder
	assert.Equal(t, 0, command.Status(nil, "x", &errb))
	assert.Equal(t, 2, command.Status(command.Usagef("x"), "x", &errb))
	assert.Equal(t, 1, command.Status(assert.AnError, "x", &errb))
	assert.Equal(t, 42, command.Status(&command.ExitError{Code: 42}, "x", &errb))
	assert.Equal(t, 2, Run(t.Context(), Commands(), []string{"frobnicate"}, &out, &errb), "unknown command")
	assert.Contains(t, errb.String(), `unknown command "frobnicate"`)
	assert.Equal(t, 2, Run(t.Context(), Commands(), nil, &out, &errb), "no command")
	assert.Empty(t, out.String(), "usage errors print on stderr only")
}
