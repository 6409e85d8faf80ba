package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/cli/command"
)

// Every command that attaches XDP takes the same --mode words.
func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want firewall.Mode
	}{
		{"auto", firewall.ModeAuto},
		{"native", firewall.ModeNative},
		{"driver", firewall.ModeNative},
		{"generic", firewall.ModeGeneric},
		{"skb", firewall.ModeGeneric},
	} {
		got, err := ParseMode(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "turbo", "Native", "xdpdrv"} {
		_, err := ParseMode(bad)
		var ue *command.UsageError
		require.ErrorAs(t, err, &ue, "%q is bad input", bad)
		assert.Contains(t, err.Error(), `unknown --mode "`+bad+`"`)
	}
}
