package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv(EnvCache, "/x/cache")
	d, err := DefaultCacheDir()
	require.NoError(t, err)
	assert.Equal(t, "/x/cache", d)

	t.Setenv(EnvCache, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	d, err = DefaultCacheDir()
	require.NoError(t, err)
	assert.Equal(t, "/xdg/bpflab", d)
}

// Host and local entries need neither apt nor the network.
func TestEnsureHostAndLocal(t *testing.T) {
	dir := t.TempDir()
	vmlinuz := filepath.Join(dir, "bzImage")
	mods := filepath.Join(dir, "lib/modules/6.19.0-rc1")
	require.NoError(t, os.WriteFile(vmlinuz, []byte("MZ"), 0o644))
	require.NoError(t, os.MkdirAll(mods, 0o755))
	manifest := "host host\nmine vmlinuz=bzImage modules=lib/modules/6.19.0-rc1\nbroken vmlinuz=nope\n"
	m, err := ParseManifest(strings.NewReader(manifest), filepath.Join(dir, "manifest"))
	require.NoError(t, err)
	s, err := NewStore(Options{CacheDir: filepath.Join(dir, "cache"), Manifest: m})
	require.NoError(t, err)
	ctx := context.Background()

	host, err := s.Ensure(ctx, "host")
	require.NoError(t, err)
	assert.Nil(t, host.Kernel, "nil Kernel means the host to backends")
	want, err := os.ReadFile("/proc/sys/kernel/osrelease")
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(want)), host.Release)

	mine, err := s.Ensure(ctx, "mine")
	require.NoError(t, err)
	assert.Equal(t, vmlinuz, mine.Kernel.Vmlinuz)
	assert.Equal(t, mods, mine.Kernel.ModulesDir)
	assert.Equal(t, "6.19.0-rc1", mine.Kernel.Release)
	assert.Equal(t, "mine", mine.Kernel.Name)

	_, err = s.Ensure(ctx, "broken")
	assert.ErrorContains(t, err, "kernel broken (manifest line 3): vmlinuz")

	_, err = s.Ensure(ctx, "5.4")
	var unk *UnknownKernelError
	require.ErrorAs(t, err, &unk)
	assert.Equal(t, []string{"broken", "host", "mine"}, unk.Known)
	assert.NoDirExists(t, filepath.Join(dir, "cache"), "no cache needed for these")
}

func TestVerifyNeedsLock(t *testing.T) {
	m, err := ParseManifest(strings.NewReader("6.1 suite=bookworm\n"), "manifest")
	require.NoError(t, err)
	s, err := NewStore(Options{CacheDir: t.TempDir(), Manifest: m})
	require.NoError(t, err)
	_, err = s.Verify(context.Background(), "6.1")
	assert.ErrorContains(t, err, "bpflab kernels update 6.1")

	s, err = NewStore(Options{CacheDir: t.TempDir(), Manifest: m,
		Lock: &Lock{Kernels: map[string]LockedKernel{"6.1": sampleLocked("6.1.192-2", "a")}}})
	require.NoError(t, err)
	checks, err := s.Verify(context.Background(), "6.1")
	require.NoError(t, err)
	require.Len(t, checks, 1)
	assert.Equal(t, "missing", checks[0].Status)
	assert.False(t, s.Cached(sampleLocked("6.1.192-2", "a")))
}
