package report

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, sampleMatrix()))
	require.Contains(t, buf.String(), `<?xml version="1.0"`)

	var got junitSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, 7, got.Tests)
	assert.Equal(t, 1, got.Fails)
	assert.Equal(t, 1, got.Errors)
	assert.Equal(t, 1, got.Skipped)
	require.Len(t, got.Suites, 3)

	tests := []struct {
		suite                       string
		tests, fails, errors, skips int
	}{
		{"kernel host", 3, 0, 0, 0},
		{"kernel 5.10", 3, 1, 0, 1},
		{"kernel 6.1", 1, 0, 1, 0},
	}
	for i, tt := range tests {
		s := got.Suites[i]
		assert.Equal(t, tt.suite, s.Name)
		assert.Equal(t, []int{tt.tests, tt.fails, tt.errors, tt.skips}, []int{s.Tests, s.Fails, s.Errors, s.Skipped}, tt.suite)
	}

	fail := got.Suites[1].Cases[0]
	assert.Equal(t, "5.10.scenarios/xdp", fail.Class)
	require.NotNil(t, fail.Failure)
	assert.Equal(t, "got XDP_PASS, want XDP_DROP", fail.Failure.Message)
	assert.Contains(t, fail.Failure.Body, "repro: bpflab matrix --kernels 5.10 --backend vng --pkg scenarios/xdp --run '^TestDrop$'")
	assert.Equal(t, "0.500", got.Suites[0].Cases[0].Time)

	boot := got.Suites[2].Cases[0]
	assert.Equal(t, "boot", boot.Name)
	require.NotNil(t, boot.Error)
	assert.Contains(t, boot.Error.Body, "Kernel panic - not syncing")
	assert.Contains(t, got.Suites[1].Properties, junitProperty{"version", "5.10.262-1"})
}
