package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleLocked(version, sha string) LockedKernel {
	return LockedKernel{
		Suite: "bookworm", Release: "6.1.0-56-amd64", Version: version,
		Packages: []Package{{
			Name: "linux-image-6.1.0-56-amd64-unsigned", Version: version, Archive: "bookworm-security",
			Filename: "linux-image-6.1.0-56-amd64-unsigned_" + version + "_amd64.deb",
			Size:     70560688, SHA256: strings.Repeat(sha, 64),
		}},
	}
}

func TestLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock.json")
	l, err := LoadLock(path)
	require.NoError(t, err, "a missing lock is empty")
	assert.Empty(t, l.Kernels)

	l.Kernels["6.1"] = sampleLocked("6.1.192-2", "a")
	require.NoError(t, l.Save(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "}\n"))
	assert.Contains(t, string(data), `"archive": "bookworm-security"`)

	back, err := LoadLock(path)
	require.NoError(t, err)
	assert.Equal(t, l.Kernels, back.Kernels)
	again, err := back.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again), "stable encoding")
}

func TestParseLockErrors(t *testing.T) {
	bad := func(mut func(k *LockedKernel)) string {
		k := sampleLocked("6.1.192-2", "a")
		mut(&k)
		data, err := (&Lock{Kernels: map[string]LockedKernel{"6.1": k}}).Marshal()
		require.NoError(t, err)
		return string(data)
	}
	tests := []struct{ in, want string }{
		{"{", "decode"},
		{`{"kernels": {}, "extra": 1}`, "unknown field"},
		{bad(func(k *LockedKernel) { k.Packages[0].SHA256 = "abc" }), "not 64 hex digits"},
		{bad(func(k *LockedKernel) { k.Packages[0].Size = 0 }), "size must be positive"},
		{bad(func(k *LockedKernel) { k.Packages[0].Filename = "../x.deb" }), "plain file name"},
		{bad(func(k *LockedKernel) { k.Packages = nil }), "no packages"},
		{bad(func(k *LockedKernel) { k.Version = "x" }), "upstream part"},
		{bad(func(k *LockedKernel) { k.Release = "" }), "release are required"},
	}
	for _, tt := range tests {
		_, err := ParseLock([]byte(tt.in))
		assert.ErrorContains(t, err, tt.want)
	}
	path := filepath.Join(t.TempDir(), "lock.json")
	require.NoError(t, os.WriteFile(path, []byte("{"), 0o644))
	_, err := LoadLock(path)
	assert.ErrorContains(t, err, "bpflab kernels update", "says how to fix it")
}

func TestDiff(t *testing.T) {
	old := &Lock{Kernels: map[string]LockedKernel{
		"6.1":  sampleLocked("6.1.192-1", "a"),
		"same": sampleLocked("6.1.192-1", "a"),
		"hash": sampleLocked("6.1.192-1", "a"),
		"gone": sampleLocked("6.1.192-1", "a"),
	}}
	newer := &Lock{Kernels: map[string]LockedKernel{
		"6.1":  sampleLocked("6.1.192-2", "b"),
		"same": sampleLocked("6.1.192-1", "a"),
		"hash": sampleLocked("6.1.192-1", "c"),
		"new":  sampleLocked("6.1.192-2", "b"),
	}}
	assert.Equal(t, []string{
		"6.1: 6.1.192-1 (6.1.0-56-amd64) -> 6.1.192-2 (6.1.0-56-amd64)",
		"gone: removed (was 6.1.192-1)",
		"hash: 6.1.192-1 packages changed (same version, new hashes or archive)",
		"new: added 6.1.192-2 (6.1.0-56-amd64)",
	}, Diff(old, newer))
}

// The committed lock must parse and pin every Debian kernel of the manifest.
func TestRepoLock(t *testing.T) {
	m, err := LoadManifest(filepath.Join("..", "..", "kernels", "manifest"))
	require.NoError(t, err)
	l, err := LoadLock(filepath.Join("..", "..", "kernels", "lock.json"))
	require.NoError(t, err)
	for _, e := range m.Entries {
		if e.Kind != KindDebian {
			continue
		}
		k, ok := l.Kernels[e.Name]
		if assert.True(t, ok, "lock lacks %s: run `bpflab kernels update`", e.Name) {
			assert.Equal(t, e.Suite, k.Suite, e.Name)
		}
	}
}
