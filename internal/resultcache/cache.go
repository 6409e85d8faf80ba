package resultcache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/bpflab/bpflab/harness/report"
)

// Default bounds: a passing entry is a few KB of test names (and the
// scenarios' small JSON artifacts), so this keeps thousands of runs.
const (
	DefaultMaxBytes   = 200 << 20
	DefaultMaxEntries = 20000
)

// Entry is one cached passing run of a test binary on a kernel.
type Entry struct {
	Package string        `json:"package"`
	Kernel  string        `json:"kernel"`
	Stored  time.Time     `json:"stored"`
	Tests   []report.Test `json:"tests"`
	// Artifacts are the files the run's kernel job left in its artifacts
	// directory (by base name), restored when the binary is not rerun.
	Artifacts map[string][]byte `json:"artifacts,omitempty"`
}

// Cache is a directory of entries.
type Cache struct {
	dir        string
	maxBytes   int64
	maxEntries int
}

// Open makes (if needed) the results directory under cacheDir (the kernel
// cache, e.g. ~/.cache/bpflab). Zero bounds take the defaults.
func Open(cacheDir string, maxBytes int64, maxEntries int) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	dir := filepath.Join(cacheDir, "results", "v1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("result cache: %w", err)
	}
	return &Cache{dir: dir, maxBytes: maxBytes, maxEntries: maxEntries}, nil
}

// Dir is where the entries live.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(k Key) string {
	return filepath.Join(c.dir, string(k[:2]), string(k)+".json")
}

// Get returns the entry for k, or nil if there is none. An unreadable or
// corrupt entry is a miss (and is removed): the run simply happens again.
func (c *Cache) Get(k Key) *Entry {
	p := c.path(k)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil || len(e.Tests) == 0 {
		_ = os.Remove(p)
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // recently used: trimmed last
	for i := range e.Tests {
		e.Tests[i].Cached = true
	}
	return &e
}

// Put stores e under k: written to a temporary file in the same directory
// and renamed, so a concurrent Get sees the old entry, none, or this one.
// Only passing runs belong here; Put refuses an entry with a failed test.
func (c *Cache) Put(k Key, e *Entry) error {
	for _, t := range e.Tests {
		if t.Status == report.Fail {
			return fmt.Errorf("result cache: refusing to store %s: test %s failed", e.Package, t.Name)
		}
	}
	if len(e.Tests) == 0 {
		return fmt.Errorf("result cache: refusing to store %s: no tests", e.Package)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("result cache: encode %s: %w", e.Package, err)
	}
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("result cache: write %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("result cache: %w", err)
	}
	return nil
}

// Trim removes the least recently used entries (by mtime) until at most
// maxEntries entries of at most maxBytes in all remain, and temporary files
// older than an hour (left by a killed writer). Another process already
// trimming is not waited for: its trim does the same job.
func (c *Cache) Trim() error {
	lock, err := os.OpenFile(filepath.Join(c.dir, ".trim.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("result cache: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil
		}
		return fmt.Errorf("result cache: lock %s: %w", lock.Name(), err)
	}
	type ent struct {
		path string
		size int64
		mod  time.Time
	}
	var ents []ent
	var total int64
	stale := time.Now().Add(-time.Hour)
	err = filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed by a concurrent run
				return nil
			}
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || filepath.Dir(p) == c.dir {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		if filepath.Ext(p) != ".json" {
			if info.ModTime().Before(stale) {
				_ = os.Remove(p)
			}
			return nil
		}
		ents = append(ents, ent{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("result cache: trim %s: %w", c.dir, err)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].mod.Before(ents[j].mod) })
	for n := len(ents); len(ents) > 0 && (total > c.maxBytes || n > c.maxEntries); n-- {
		if err := os.Remove(ents[0].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("result cache: trim: %w", err)
		}
		total -= ents[0].size
		ents = ents[1:]
	}
	return nil
}
