package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bad input to `bpflab kernels` exits 2 and touches nothing (no network:
// every case fails before the store is used).
func TestKernelsBadInput(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifest")
	require.NoError(t, os.WriteFile(manifest, []byte("6.1 suite=bookworm\n"), 0o644))
	badManifest := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(badManifest, []byte("6.1 bookworm\n"), 0o644))
	badLock := filepath.Join(dir, "lock.json")
	require.NoError(t, os.WriteFile(badLock, []byte("{"), 0o644))
	cache := filepath.Join(dir, "cache")
	lock := filepath.Join(dir, "none.json")

	for _, args := range [][]string{
		{"kernels"},
		{"kernels", "bogus"},
		{"kernels", "list", "--no-such-flag"},
		{"kernels", "fetch", "--manifest", manifest, "--lock", lock, "--cache", cache, "4.19"},
		{"kernels", "list", "--manifest", filepath.Join(dir, "missing")},
		{"kernels", "list", "--manifest", badManifest},
		{"kernels", "list", "--manifest", manifest, "--lock", badLock},
	} {
		assert.Equal(t, 2, realMain(args), "%v", args)
	}
	assert.NoDirExists(t, cache, "nothing created")
	assert.NoFileExists(t, lock, "nothing written")
	assert.Equal(t, 0, realMain([]string{"kernels", "list", "--manifest", manifest, "--lock", lock, "--cache", cache}))
}
