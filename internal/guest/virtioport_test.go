package guest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindVirtioPort(t *testing.T) {
	dir := t.TempDir()
	for dev, name := range map[string]string{"vport0p1": "other.port\n", "vport0p2": "bpflab.results\n", "vport1p1": ""} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, dev), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, dev, "name"), []byte(name), 0o644))
	}
	dev, ok := findVirtioPort(dir, "bpflab.results")
	assert.True(t, ok)
	assert.Equal(t, "vport0p2", dev)
	_, ok = findVirtioPort(dir, "bpflab.missing")
	assert.False(t, ok)
	_, ok = findVirtioPort(filepath.Join(dir, "nope"), "bpflab.results")
	assert.False(t, ok, "no sysfs class yet (driver not loaded)")
}

func TestResolvePortPlainPath(t *testing.T) {
	p, err := resolvePort("/dev/ttyS1")
	require.NoError(t, err)
	assert.Equal(t, "/dev/ttyS1", p, "a device path is used as is")
}
