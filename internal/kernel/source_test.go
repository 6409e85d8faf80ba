package kernel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltinIsTheRepositoryManifest(t *testing.T) {
	// kernels/ is the one copy; the binary embeds it. Parsing both must
	// give the same kernels and pins.
	b, err := Builtin()
	require.NoError(t, err)
	repo, err := OpenSource(filepath.Join("..", "..", "kernels", "manifest"), "")
	require.NoError(t, err)
	assert.Equal(t, repo.Manifest.Names(), b.Manifest.Names())
	assert.Equal(t, repo.Lock, b.Lock)
	assert.Empty(t, b.LockPath, "the built-in lock must never be written")
	for _, n := range []string{"5.10", "6.1", "6.12", "7.x", "host"} {
		_, err := b.Manifest.Lookup(n)
		assert.NoError(t, err, n)
	}
}

func TestOpenSource(t *testing.T) {
	proj := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(proj, "kernels"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(proj, "kernels", "manifest"), []byte("mine suite=trixie\n"), 0o644))
	other := filepath.Join(t.TempDir(), "m")
	require.NoError(t, os.WriteFile(other, []byte("a suite=bookworm\nb host\n"), 0o644))

	tests := []struct {
		name, path, dir string
		want            []string
		lock            string
	}{
		{"project manifest", "", proj, []string{"mine"}, filepath.Join(proj, "kernels", "lock.json")},
		{"flag wins over project", other, proj, []string{"a", "b"}, filepath.Join(filepath.Dir(other), "lock.json")},
		{"no manifest: built-in", "", t.TempDir(), []string{"5.10", "6.1", "6.12", "7.x", "6.1-arm64", "6.1-s390x", "host"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenSource(tt.path, tt.dir)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Manifest.Names())
			assert.Equal(t, tt.lock, s.LockPath)
		})
	}
	_, err := OpenSource(filepath.Join(proj, "nope"), "")
	assert.ErrorContains(t, err, "nope")
}
