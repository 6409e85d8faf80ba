package kernel

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The integration tests talk to the Debian archive through the system's apt
// mirrors and share the user cache with real runs, so a warm cache keeps
// them to a few seconds. They use sid's 7.x kernel: its image .deb is the
// smallest (~14 MB) to fetch again.

// syncBuffer is a log writer tests can read while the store writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func integrationStore(t *testing.T, lock *Lock, lockPath string) (*Store, *syncBuffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Debian archive; skipped in -short mode")
	}
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (%v): the kernel store needs apt and dpkg", tool, err)
		}
	}
	cache, err := DefaultCacheDir()
	require.NoError(t, err)
	m, err := ParseManifest(strings.NewReader("7.x suite=sid\n"), filepath.Join(t.TempDir(), "manifest"))
	require.NoError(t, err)
	if lock == nil {
		// The committed pins: usually already cached, so nothing resolves.
		lock, err = LoadLock(filepath.Join("..", "..", "kernels", "lock.json"))
		require.NoError(t, err)
	}
	log := &syncBuffer{}
	s, err := NewStore(Options{CacheDir: cache, Manifest: m, Lock: lock, LockPath: lockPath, Log: log})
	require.NoError(t, err)
	t.Cleanup(func() { t.Logf("store log:\n%s", log.String()) })
	return s, log
}

func TestIntegrationResolveFetchCorrupt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, log := integrationStore(t, nil, "")

	k, err := s.Resolve(ctx, "sid", "")
	require.NoError(t, err)
	assert.Equal(t, "sid", k.Suite)
	assert.True(t, strings.HasSuffix(k.Release, "-amd64"), k.Release)
	require.NotEmpty(t, k.Packages)
	for _, p := range k.Packages {
		assert.Equal(t, k.Version, p.Version)
		assert.Positive(t, p.Size)
	}
	require.NoError(t, k.validate())
	// An unstable suite has no -security; its packages come from sid itself.
	assert.Equal(t, "sid", k.Packages[0].Archive)
	require.NoError(t, s.setLocked("7.x", k)) // so Ensure does not resolve again

	img, err := s.Ensure(ctx, "7.x")
	require.NoError(t, err)
	require.NotNil(t, img.Kernel)
	assert.Equal(t, k.Release, img.Kernel.Release)
	assert.FileExists(t, img.Kernel.Vmlinuz)
	assert.DirExists(t, filepath.Join(img.Kernel.ModulesDir, "kernel"))
	assert.True(t, s.Cached(*img.Locked))

	// Truncate the smallest .deb as an interrupted copy would, then fetch.
	// This happens in a private cache that borrows the shared apt lists and
	// extracted tree, so runs using the shared cache meanwhile never see
	// the damage (nor repair it before this test looks).
	small := k.Packages[0]
	for _, p := range k.Packages {
		if p.Size < small.Size {
			small = p
		}
	}
	s = privateCopy(t, s, *img.Locked, log)
	path := s.debPath(small)
	require.NoError(t, os.Truncate(path, small.Size/2))
	checks, err := s.Verify(ctx, "7.x")
	require.NoError(t, err)
	require.Equal(t, "corrupt", statusOf(checks, small.Name), "verify sees the truncation")

	before := len(log.String())
	_, err = s.Ensure(ctx, "7.x")
	require.NoError(t, err)
	said := log.String()[before:]
	assert.Contains(t, said, "cached "+small.Filename+" is corrupt or truncated")
	assert.Contains(t, said, "fetching it again")
	assert.Contains(t, said, "fetching "+small.Filename)
	sum, size, err := hashFile(path)
	require.NoError(t, err)
	assert.Equal(t, small.SHA256, sum, "re-downloaded file matches the lock")
	assert.Equal(t, small.Size, size)
	checks, err = s.Verify(ctx, "7.x")
	require.NoError(t, err)
	assert.Equal(t, "ok", statusOf(checks, small.Name))
}

// A pinned version the archive no longer has is re-resolved, with a note,
// and the lock file is rewritten.
func TestIntegrationVanishedVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lockPath := filepath.Join(t.TempDir(), "lock.json")
	gone := LockedKernel{Suite: "sid", Release: "7.0.0-1-amd64", Version: "7.0.0-1~bpflab1",
		Packages: []Package{{
			Name: "linux-binary-unsigned-7.0.0-1-amd64", Version: "7.0.0-1~bpflab1", Archive: "sid",
			Filename: "linux-binary-unsigned-7.0.0-1-amd64_7.0.0-1~bpflab1_amd64.deb", Size: 1,
			SHA256: strings.Repeat("0", 64),
		}}}
	shared, log := integrationStore(t, nil, "")
	real, err := shared.Ensure(ctx, "7.x")
	require.NoError(t, err)
	// A private cache keeps the fake version's traces out of the shared one.
	s := privateCopy(t, shared, *real.Locked, log)
	s.opts.LockPath = lockPath
	s.lock = &Lock{Kernels: map[string]LockedKernel{"7.x": gone}}

	img, err := s.Ensure(ctx, "7.x")
	require.NoError(t, err)
	assert.Contains(t, log.String(), "linux-binary-unsigned-7.0.0-1-amd64=7.0.0-1~bpflab1 is no longer in the archive")
	assert.Contains(t, log.String(), "resolving the newest sid kernel instead")
	assert.NotEqual(t, gone.Version, img.Locked.Version)
	saved, err := LoadLock(lockPath)
	require.NoError(t, err)
	assert.Equal(t, img.Locked.Version, saved.Kernels["7.x"].Version, "lock file rewritten")
	assert.FileExists(t, img.Kernel.Vmlinuz)
}

func statusOf(checks []Check, pkg string) string {
	for _, c := range checks {
		if c.Package.Name == pkg {
			return c.Status
		}
	}
	return "absent"
}

// privateCopy returns a store on a temporary cache holding copies of k's
// .debs and symlinks to the shared apt configs and extracted tree.
func privateCopy(t *testing.T, shared *Store, k LockedKernel, log *syncBuffer) *Store {
	t.Helper()
	opts := shared.opts
	opts.CacheDir = t.TempDir()
	opts.Log = log
	priv, err := NewStore(opts)
	require.NoError(t, err)
	priv.lock = shared.Lock()
	require.NoError(t, os.Symlink(filepath.Join(shared.CacheDir(), "apt"), filepath.Join(opts.CacheDir, "apt")))
	require.NoError(t, os.MkdirAll(filepath.Join(opts.CacheDir, "kernels"), 0o755))
	require.NoError(t, os.Symlink(shared.kernelDir(k), priv.kernelDir(k)))
	require.NoError(t, os.MkdirAll(filepath.Join(opts.CacheDir, "debs"), 0o755))
	for _, p := range k.Packages {
		data, err := os.ReadFile(shared.debPath(p))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(priv.debPath(p), data, 0o644))
	}
	return priv
}
