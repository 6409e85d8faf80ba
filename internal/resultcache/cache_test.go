package resultcache

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
)

func baseInput() Input {
	return Input{
		Binary: "b1", Kernel: "debian:6.1.0-56-amd64 linux-image=abc", Runner: "r1", Backend: "qemu",
		Args: []string{"-test.v", "-test.count=1", "-test.timeout=8m0s"}, Env: []string{"A=1", "B=2"},
		Modules: []string{"veth"}, Autoload: []string{"veth", "xfrm_user"}, Tools: []string{"bpftool:t1"},
	}
}

// TestKeyStable: the key is a pure function of what decides a run; the
// deadline and the order of sets do not change it, every other field does.
func TestKeyStable(t *testing.T) {
	base := baseInput()
	k := base.Key()
	require.Len(t, string(k), 64)
	assert.Equal(t, k, baseInput().Key(), "same input, same key")

	same := baseInput()
	same.Args[2] = "-test.timeout=1h0m0s"
	same.Env = []string{"B=2", "A=1"}
	same.Autoload = []string{"xfrm_user", "veth"}
	assert.Equal(t, k, same.Key(), "timeout and set order do not matter")

	changes := map[string]func(*Input){
		"binary":   func(in *Input) { in.Binary = "b2" },
		"kernel":   func(in *Input) { in.Kernel = "debian:6.1.0-56-amd64 linux-image=abd" },
		"runner":   func(in *Input) { in.Runner = "r2" },
		"backend":  func(in *Input) { in.Backend = "vng" },
		"run":      func(in *Input) { in.Args = append(in.Args, "-test.run=X") },
		"args":     func(in *Input) { in.Args = []string{"-test.count=1", "-test.v"} },
		"env":      func(in *Input) { in.Env = []string{"A=1", "B=3"} },
		"modules":  func(in *Input) { in.Modules = nil },
		"autoload": func(in *Input) { in.Autoload = []string{"veth"} },
		"tools":    func(in *Input) { in.Tools = []string{"bpftool:t2"} },
		// a value moved between fields must not collide
		"shifted": func(in *Input) { in.Binary, in.Runner = in.Runner, in.Binary },
	}
	seen := map[Key]string{k: "base"}
	for name, change := range changes {
		in := baseInput()
		change(&in)
		got := in.Key()
		prev, dup := seen[got]
		assert.False(t, dup, "%s gives the same key as %s", name, prev)
		seen[got] = name
	}
}

func TestHasherHashesContents(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.WriteFile(a, []byte("one"), 0o644))
	require.NoError(t, os.WriteFile(b, []byte("one"), 0o644))
	var h Hasher
	sa, err := h.File(a)
	require.NoError(t, err)
	sb, err := h.File(b)
	require.NoError(t, err)
	assert.Equal(t, sa, sb, "same bytes, same hash, whatever the path")
	// sha256("one")
	assert.Equal(t, "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed", sa)
	_, err = h.File(filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "missing")
}

func entry(pkg string, st report.Status) *Entry {
	return &Entry{Package: pkg, Kernel: "6.1", Stored: time.Now(), Tests: []report.Test{
		{Package: pkg, Name: "TestA", Status: report.Pass, Duration: report.Duration(1500 * time.Millisecond)},
		{Package: pkg, Name: "TestB/v6", Status: st},
	}, Artifacts: map[string][]byte{"probes-6.1.json": []byte(`{"ringbuf":true}`)}}
}

func TestHitMiss(t *testing.T) {
	c, err := Open(t.TempDir(), 0, 0)
	require.NoError(t, err)
	k1, k2 := Key(fmt.Sprintf("%064x", 1)), Key(fmt.Sprintf("%064x", 2))
	assert.Nil(t, c.Get(k1), "empty cache misses")

	require.NoError(t, c.Put(k1, entry("scenarios/xdp", report.Skip)))
	got := c.Get(k1)
	require.NotNil(t, got)
	require.Len(t, got.Tests, 2)
	assert.Equal(t, "TestB/v6", got.Tests[1].Name)
	assert.Equal(t, report.Skip, got.Tests[1].Status)
	assert.Equal(t, report.Duration(1500*time.Millisecond), got.Tests[0].Duration)
	assert.True(t, got.Tests[0].Cached && got.Tests[1].Cached, "hits are marked cached")
	assert.Equal(t, `{"ringbuf":true}`, string(got.Artifacts["probes-6.1.json"]))
	assert.Nil(t, c.Get(k2), "another key misses")

	err = c.Put(k2, entry("scenarios/xdp", report.Fail))
	assert.ErrorContains(t, err, "TestB/v6 failed")
	assert.Nil(t, c.Get(k2), "a failure is never stored")
	assert.Error(t, c.Put(k2, &Entry{Package: "scenarios/empty"}), "an entry without tests is refused")

	// A corrupt entry (a torn write from an old version, a full disk) is a
	// miss and is removed.
	require.NoError(t, os.WriteFile(c.path(k2), []byte(`{"tests":[{"na`), 0o644))
	assert.Nil(t, c.Get(k2))
	assert.NoFileExists(t, c.path(k2))
}

// TestConcurrent: many writers and readers of the same keys (two matrices
// sharing the cache) never see a partial entry, and leave no temp files.
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, 0, 0)
	require.NoError(t, err)
	keys := []Key{Key(fmt.Sprintf("%064x", 10)), Key(fmt.Sprintf("%064x", 11))}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				k := keys[i%2]
				if w%2 == 0 {
					if err := c.Put(k, entry(fmt.Sprintf("scenarios/p%d", w), report.Pass)); err != nil {
						errs <- err
					}
					continue
				}
				if e := c.Get(k); e != nil && len(e.Tests) != 2 {
					errs <- fmt.Errorf("partial entry: %d tests", len(e.Tests))
				}
				if err := c.Trim(); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, k := range keys {
		assert.NotNil(t, c.Get(k), "every key ends with a whole entry")
	}
	tmps, _ := filepath.Glob(filepath.Join(c.Dir(), "*", ".tmp-*"))
	assert.Empty(t, tmps)
}

// TestTrimBounds: Trim keeps the most recently used entries within both
// bounds; a Get makes an old entry recent.
func TestTrimBounds(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		c, err := Open(t.TempDir(), 0, 3)
		require.NoError(t, err)
		keys := putAged(t, c, 5)
		require.NotNil(t, c.Get(keys[0])) // the oldest becomes the newest
		require.NoError(t, c.Trim())
		assert.NotNil(t, c.Get(keys[0]))
		assert.Nil(t, c.Get(keys[1]))
		assert.Nil(t, c.Get(keys[2]))
		assert.NotNil(t, c.Get(keys[3]))
		assert.NotNil(t, c.Get(keys[4]))
	})
	t.Run("bytes", func(t *testing.T) {
		c, err := Open(t.TempDir(), 0, 0)
		require.NoError(t, err)
		keys := putAged(t, c, 4)
		// Room for the two newest entries, exactly: entries differ by a
		// few bytes (the stored time's digits), so measure those two.
		var newest int64
		for _, k := range keys[2:] {
			info, err := os.Stat(c.path(k))
			require.NoError(t, err)
			newest += info.Size()
		}
		c.maxBytes = newest
		require.NoError(t, c.Trim())
		assert.Nil(t, c.Get(keys[0]))
		assert.Nil(t, c.Get(keys[1]))
		assert.NotNil(t, c.Get(keys[2]))
		assert.NotNil(t, c.Get(keys[3]))
	})
	t.Run("stale temp files", func(t *testing.T) {
		c, err := Open(t.TempDir(), 0, 0)
		require.NoError(t, err)
		keys := putAged(t, c, 1)
		sub := filepath.Dir(c.path(keys[0]))
		old, fresh := filepath.Join(sub, ".tmp-old"), filepath.Join(sub, ".tmp-new")
		require.NoError(t, os.WriteFile(old, nil, 0o644))
		require.NoError(t, os.WriteFile(fresh, nil, 0o644))
		past := time.Now().Add(-2 * time.Hour)
		require.NoError(t, os.Chtimes(old, past, past))
		require.NoError(t, c.Trim())
		assert.NoFileExists(t, old, "a killed writer's file goes")
		assert.FileExists(t, fresh, "a writer in progress keeps its file")
		assert.NotNil(t, c.Get(keys[0]))
	})
}

// putAged stores n entries with mtimes one minute apart, oldest first.
func putAged(t *testing.T, c *Cache, n int) []Key {
	t.Helper()
	var keys []Key
	for i := 0; i < n; i++ {
		k := Key(fmt.Sprintf("%064x", 100+i))
		require.NoError(t, c.Put(k, entry("scenarios/xdp", report.Pass)))
		at := time.Now().Add(time.Duration(i-n) * time.Minute)
		require.NoError(t, os.Chtimes(c.path(k), at, at))
		keys = append(keys, k)
	}
	return keys
}
