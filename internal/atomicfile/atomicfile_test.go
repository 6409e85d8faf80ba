package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFile(t *testing.T) {
	old := syscall.Umask(0o077) // perm must win over a strict umask
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	path := filepath.Join(dir, "lock.json")

	require.NoError(t, WriteFile(path, []byte("first"), 0o644))
	require.NoError(t, WriteFile(path, []byte("second, longer"), 0o640))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second, longer", string(data), "replaced whole")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file left")

	// A failed write leaves the old file and no temporary one.
	missing := filepath.Join(dir, "no-such-dir", "x")
	err = WriteFile(missing, []byte("x"), 0o644)
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	err = WriteFile(filepath.Join(dir, "sub"), []byte("x"), 0o644)
	require.Error(t, err, "renaming over a directory fails")
	ents, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 2, "lock.json and sub only: the temporary file was removed")
}
