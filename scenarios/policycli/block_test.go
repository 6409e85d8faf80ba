package policycli_test

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIBlockUnblock: block and unblock from separate CLI processes change
// verdicts on the live veth, in both XDP modes, without re-attaching.
func TestCLIBlockUnblock(t *testing.T) {
	for _, mode := range []string{"native", "generic"} {
		t.Run(mode, func(t *testing.T) {
			l := newLab(t, mode)
			before, err := l.topo.DUTXDP()
			require.NoError(t, err)

			assert.True(t, l.delivered(t, "v4 before block", victim), "%s passes before any block", victim)
			assert.True(t, l.delivered(t, "v6 before block", victim6), "%s passes before any block", victim6)

			mustCLI(t, l.topo.DUT, l.args("policy", "block", victim.String(), "2001:db8:bad::/48")...)
			list := mustCLI(t, l.topo.DUT, l.args("policy", "list")...)
			assert.Equal(t, []string{"198.51.100.20/32", "2001:db8:bad::/48"}, strings.Fields(list.stdout))
			assert.False(t, l.delivered(t, "v4 after CLI block", victim), "%s must drop after `policy block`", victim)
			assert.False(t, l.delivered(t, "v6 after CLI block", victim6), "%s must drop: in 2001:db8:bad::/48", victim6)
			assert.True(t, l.delivered(t, "flow source unaffected", flowSrc))

			mustCLI(t, l.topo.DUT, l.args("policy", "unblock", "198.51.100.20/32")...)
			assert.True(t, l.delivered(t, "v4 after CLI unblock", victim), "%s passes again after `policy unblock`", victim)
			assert.False(t, l.delivered(t, "v6 still blocked", victim6))

			st := mustCLI(t, l.topo.DUT, l.args("firewall", "status")...)
			assert.Contains(t, st.stdout, "IPv4 0, IPv6 1")
			assert.Contains(t, st.stdout, mode+" mode")
			stats := mustCLI(t, l.topo.DUT, l.args("policy", "stats")...)
			assert.Regexp(t, `dropped +3\n`, stats.stdout, "three frames were dropped by the blocklist")

			export := mustCLI(t, l.topo.DUT, l.args("policy", "export")...)
			assert.Contains(t, export.stdout, "\n2001:db8:bad::/48\n")

			after, err := l.topo.DUTXDP()
			require.NoError(t, err)
			assert.Equal(t, before, after, "the program stayed attached the whole time (no re-attach)")

			mustCLI(t, l.topo.DUT, l.args("firewall", "detach")...)
			gone, err := l.topo.DUTXDP()
			require.NoError(t, err)
			assert.False(t, gone.Attached, "detach removes the program from dut0")
			_, err = os.Stat(l.pinDir)
			assert.ErrorIs(t, err, os.ErrNotExist, "detach removes the pins")
			assert.True(t, l.delivered(t, "after detach", netip.MustParseAddr("2001:db8:bad::20")))
		})
	}
}
