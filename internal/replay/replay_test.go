package replay

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/replay/replaytest"
)

func TestReadCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "field.pcap")
	replaytest.WriteCapture(t, path)
	frames, err := ReadCapture(path)
	require.NoError(t, err)
	require.Len(t, frames, len(replaytest.Frames))
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
// veth and test-run verdicts must agree and match the policy (the command
// around it is tested in internal/cli).
func TestReplayOnHost(t *testing.T) {
	testenv.Setup(t)
	pcap := filepath.Join(t.TempDir(), "field.pcap")
	replaytest.WriteCapture(t, pcap)
	frames, err := ReadCapture(pcap)
	require.NoError(t, err)
	var pol []netip.Prefix
	for _, s := range strings.Fields(replaytest.PolicyPrefixes) {
		pol = append(pol, netip.MustParsePrefix(s))
	}
	for _, mode := range []firewall.Mode{firewall.ModeNative, firewall.ModeGeneric} {
		t.Run(mode.String(), func(t *testing.T) {
			vs, err := Run(context.Background(), Options{Frames: frames, Policy: pol, Mode: mode})
			require.NoError(t, err)
			var out bytes.Buffer
			require.NoError(t, Write(&out, "host", vs))
			t.Log("\n" + out.String())
			assert.Contains(t, out.String(), "0 of 5 frames disagree")
			assert.Zero(t, Disagreements(vs))
			for i, v := range vs {
				want, veth := firewall.XDPPass, "delivered"
				if replaytest.Frames[i].Blocked {
					want, veth = firewall.XDPDrop, "dropped"
				}
				assert.Equal(t, want, v.TestRun, "frame %d (%s) test run", v.Index, v.Summary)
				assert.Equal(t, veth, v.Veth, "frame %d (%s) over veth", v.Index, v.Summary)
				assert.True(t, v.Agree, "frame %d", v.Index)
			}
		})
	}
}
