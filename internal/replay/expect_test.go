package replay

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
	"github.com/bpflab/bpflab/harness/testenv"
)

func TestReadExpectations(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "expect")
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	got, err := ReadExpectations(write("# from the field report\n1 drop\n\n3 PASS\n4 XDP_DROP\n"), 5)
	require.NoError(t, err)
	assert.Equal(t, Expectations{1: firewall.XDPDrop, 3: firewall.XDPPass, 4: firewall.XDPDrop}, got)
	for _, tc := range []struct{ text, want string }{
		{"1\n", "want two fields"},
		{"0 pass\n", "no such frame"},
		{"6 pass\n", "no such frame"},
		{"x pass\n", "no such frame"},
		{"1 pass\n1 drop\n", "frame listed twice"},
		{"1 tx\n", "unknown verdict"},
	} {
		_, err := ReadExpectations(write(tc.text), 5)
		require.Error(t, err, "%q", tc.text)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), "expect "+filepath.Join(dir, "expect")+":", "names the file and line")
	}
	_, err = ReadExpectations(filepath.Join(dir, "missing"), 5)
	assert.Error(t, err)
}

func TestModelExpectationsSkipRefusedFrames(t *testing.T) {
	blocked := corpus.V4Frame(corpus.Untagged, netip.MustParseAddr("192.0.2.7"), corpus.IPv4Opts{})
	frames := []Frame{
		{Index: 1, Data: blocked},
		{Index: 2, Data: corpus.V4Frame(corpus.Untagged, netip.MustParseAddr("192.0.2.8"), corpus.IPv4Opts{})},
		{Index: 3, Data: blocked[:13]},
		{Index: 4, Data: blocked[:20]}, // truncated IPv4 header: malformed
	}
	got, err := ModelExpectations(frames, []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")})
	require.NoError(t, err)
	assert.Equal(t, Expectations{1: firewall.XDPDrop, 2: firewall.XDPPass, 4: firewall.XDPDrop}, got)
	_, err = ModelExpectations(frames, []netip.Prefix{netip.MustParsePrefix("192.0.2.7/24")})
	assert.Error(t, err, "a non-canonical policy is refused")
}

// TestWriteShowsRefusedNotAVerdict: a frame the kernel does not run gets
// "refused" in the test-run column, never XDP_ABORTED (the zero verdict).
func TestWriteShowsRefusedNotAVerdict(t *testing.T) {
	vs := []Verdict{
		{Frame: Frame{Index: 1, Summary: "short"}, Veth: "n/a (10 bytes, shorter than an Ethernet header)", Refused: true},
		{Frame: Frame{Index: 2, Summary: "v4"}, Veth: "dropped", TestRun: firewall.XDPDrop, Expect: firewall.XDPPass, HasExpect: true},
	}
	var out bytes.Buffer
	require.NoError(t, Write(&out, "k", vs))
	lines := strings.Split(out.String(), "\n")
	require.GreaterOrEqual(t, len(lines), 4, out.String())
	assert.Contains(t, lines[1], "EXPECT")
	assert.Regexp(t, `^1 .*refused\s+-\s+-$`, lines[2])
	assert.NotContains(t, out.String(), "XDP_ABORTED")
	assert.Regexp(t, `^2 .*XDP_DROP\s+XDP_PASS\s+NO$`, lines[3])
	assert.Equal(t, 1, Disagreements(vs))
}

// TestReplayExpectOnHost replays a capture with a runt frame against the
// model and against a file that contradicts it.
func TestReplayExpectOnHost(t *testing.T) {
	testenv.Setup(t)
	dir := t.TempDir()
	pcap, policy, expect := filepath.Join(dir, "field.pcap"), filepath.Join(dir, "policy"), filepath.Join(dir, "expect")
	frames := [][]byte{
		corpus.V4Frame(corpus.Untagged, netip.MustParseAddr("192.0.2.7"), corpus.IPv4Opts{}),
		corpus.V6Frame(corpus.Untagged, netip.MustParseAddr("::ffff:192.0.2.7")),
		corpus.V4Frame(corpus.QinQ, netip.MustParseAddr("192.0.2.8"), corpus.IPv4Opts{}),
		corpus.V4Frame(corpus.Untagged, netip.MustParseAddr("192.0.2.8"), corpus.IPv4Opts{})[:10],
		corpus.V4Frame(corpus.Untagged, netip.MustParseAddr("192.0.2.8"), corpus.IPv4Opts{IHL: 9}),
	}
	f, err := os.Create(pcap)
	require.NoError(t, err)
	w := pcapgo.NewWriter(f)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for _, b := range frames {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(b), Length: len(b)}, b))
	}
	require.NoError(t, f.Close())
	require.NoError(t, os.WriteFile(policy, []byte("192.0.2.7/32\n"), 0o644))

	blocked := []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}
	replayExpect := func(spec string) (int, string) {
		got, err := ReadCapture(pcap)
		require.NoError(t, err)
		exp, err := Expect(spec, got, blocked)
		require.NoError(t, err)
		vs, err := Run(context.Background(), Options{Frames: got, Policy: blocked, Mode: firewall.ModeGeneric, Expect: exp})
		require.NoError(t, err)
		var out bytes.Buffer
		require.NoError(t, Write(&out, "host", vs))
		t.Log("\n" + out.String())
		return Disagreements(vs), out.String()
	}
	disagree, out := replayExpect(ExpectModel)
	require.Zero(t, disagree)
	assert.Contains(t, out, "0 of 5 frames disagree")
	assert.Regexp(t, `(?m)^4 .*refused\s+-\s+-$`, out)
	assert.NotContains(t, out, "XDP_ABORTED")

	// Frame 1 is blocked; a file claiming it passes must disagree.
	require.NoError(t, os.WriteFile(expect, []byte("1 pass\n3 drop\n"), 0o644))
	disagree, out = replayExpect(expect)
	assert.Equal(t, 1, disagree)
	assert.Regexp(t, `(?m)^1 .*XDP_DROP\s+XDP_PASS\s+NO$`, out)
	assert.Regexp(t, `(?m)^3 .*XDP_DROP\s+XDP_DROP\s+yes$`, out)
	assert.Contains(t, out, "1 of 5 frames disagree")
}
