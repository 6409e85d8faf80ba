package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteJSONRoundTrip(t *testing.T) {
	m := sampleMatrix()
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, m))

	// Durations read as seconds for people and jq.
	var raw map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	assert.Equal(t, 30.0, raw["seconds"])
	k510 := raw["kernels"].([]any)[1].(map[string]any)
	assert.Equal(t, "bullseye", k510["suite"])
	assert.Equal(t, "tcg", k510["accel"])
	assert.Equal(t, "fail", k510["tests"].([]any)[0].(map[string]any)["status"])
	assert.Equal(t, "boot", raw["kernels"].([]any)[2].(map[string]any)["error_phase"])

	var back Matrix
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	m.DefaultBackend = "" // not serialised
	assert.Equal(t, m.Kernels, back.Kernels)
	assert.Equal(t, m.Duration, back.Duration)
}

func TestDurationUnmarshalRejectsText(t *testing.T) {
	var d Duration
	assert.Error(t, json.Unmarshal([]byte(`"1s"`), &d))
}
