package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/replay/replaytest"
)

// run is `bpflab ARGS...` with its output captured.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(t.Context(), Commands(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// `bpflab replay --kernel host` replays on the running kernel: exit 0 when
// every frame's verdicts agree, in both spellings of each mode.
func TestReplayCommandOnHost(t *testing.T) {
	testenv.Setup(t)
	dir := t.TempDir()
	pcap, policy := filepath.Join(dir, "field.pcap"), filepath.Join(dir, "policy")
	replaytest.WriteCapture(t, pcap)
	require.NoError(t, os.WriteFile(policy, []byte(replaytest.Policy), 0o644))
	for _, mode := range []string{"native", "skb"} {
		t.Run(mode, func(t *testing.T) {
			code, out, errs := run(t, "replay", "--pcap", pcap, "--policy", policy, "--mode", mode, "--kernel", "host")
			t.Log("\n" + out)
			require.Equal(t, 0, code, "stderr: %s", errs)
			assert.Contains(t, out, "0 of 5 frames disagree")
			assert.Contains(t, out, "host", "the heading names the kernel")
		})
	}
}

// Bad input to replay exits 2, names the input and replays nothing.
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "field.pcap")
	replaytest.WriteCapture(t, pcap)
	badPolicy := filepath.Join(dir, "policy")
	require.NoError(t, os.WriteFile(badPolicy, []byte("192.0.2.300/32\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "want --pcap FILE"},
		{[]string{"--pcap", filepath.Join(dir, "missing.pcap")}, "missing.pcap"},
		{[]string{"--pcap", pcap, "--policy", badPolicy}, "policy:1:1"},
		{[]string{"--pcap", pcap, "--policy", filepath.Join(dir, "nope")}, "--policy: open"},
		{[]string{"--pcap", pcap, "--mode", "turbo"}, `unknown --mode "turbo"`},
		{[]string{"--pcap", pcap, "--no-such-flag"}, "flag provided but not defined: -no-such-flag (see bpflab replay -h)"},
		{[]string{"--pcap", pcap, "extra"}, "want --pcap FILE"},
		{[]string{"--pcap", pcap, "--expect", filepath.Join(dir, "no-such-expect")}, "no-such-expect"},
	} {
		code, out, errs := run(t, append([]string{"replay"}, tc.args...)...)
		assert.Equal(t, 2, code, "%q", tc.args)
		assert.True(t, strings.HasPrefix(errs, "bpflab replay: "), "%q: %s", tc.args, errs)
		assert.Contains(t, errs, tc.want, "%q", tc.args)
		assert.Empty(t, out, "nothing replayed for %q", tc.args)
	}
}
