package guest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFramesSurviveConsoleNoise(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("[    1.234] random kernel line\n@@BPFLAB1 garbage\n")
	require.NoError(t, WriteFrame(&buf, Record{Kind: KindHello, Release: "6.1.0-56-amd64"}))
	buf.WriteString("noise without newline")
	res := Result{Name: "x", ExitCode: 42, Output: []byte("line1\nline2\n\x00\xff")}
	require.NoError(t, WriteFrame(&buf, Record{Kind: KindResult, Result: &res}))

	var got []Record
	var bad []error
	require.NoError(t, ReadFrames(&buf, func(r Record) { got = append(got, r) }, func(err error) { bad = append(bad, err) }))
	require.Len(t, got, 2)
	assert.Equal(t, "6.1.0-56-amd64", got[0].Release)
	require.NotNil(t, got[1].Result)
	assert.Equal(t, 42, got[1].Result.ExitCode)
	assert.Equal(t, res.Output, got[1].Result.Output)
	require.Len(t, bad, 1, "the garbage header is reported")
	assert.Contains(t, bad[0].Error(), "bad frame header")
}

func TestFrameCorruptionIsDetected(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(string) string
		want   string
	}{
		{"flipped payload byte", func(s string) string { return strings.Replace(s, "6.1", "6.2", 1) }, "checksum mismatch"},
		{"cut short", func(s string) string { return s[:len(s)-10] }, "cut short"},
		{"length too large", func(s string) string { return strings.Replace(s, frameMagic, frameMagic+"9", 1) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteFrame(&buf, Record{Kind: KindHello, Release: "6.1"}))
			var got []Record
			var bad []error
			require.NoError(t, ReadFrames(strings.NewReader(tt.mangle(buf.String())),
				func(r Record) { got = append(got, r) }, func(err error) { bad = append(bad, err) }))
			assert.Empty(t, got, "a damaged frame must never be delivered")
			require.NotEmpty(t, bad)
			assert.Contains(t, bad[0].Error(), tt.want)
		})
	}
}

func TestCappedKeepsPrefix(t *testing.T) {
	c := &capped{limit: 5}
	n, err := c.Write([]byte("abc"))
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	n, err = c.Write([]byte("defgh"))
	require.NoError(t, err)
	assert.Equal(t, 5, n, "the child must see a full write")
	assert.Equal(t, "abcde", c.buf.String())
	assert.True(t, c.truncated)
}
