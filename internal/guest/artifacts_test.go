package guest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArtifactsRoundTrip(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.json"), []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "big.bin"), make([]byte, 100), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(src, "sub"), 0o755))

	arts, err := ReadArtifacts(src, 50)
	require.Error(t, err, "big.bin is over the limit")
	assert.Contains(t, err.Error(), "big.bin")
	assert.Equal(t, map[string][]byte{"a.json": []byte("{}")}, arts)

	dst := t.TempDir()
	paths, err := WriteArtifacts(dst, arts)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dst, "a.json")}, paths)

	_, err = WriteArtifacts(dst, map[string][]byte{"../evil": nil})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "../evil")

	none, err := ReadArtifacts(filepath.Join(src, "missing"), 50)
	require.NoError(t, err)
	assert.Nil(t, none)
}
