package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// VanishedError means the archive no longer carries a pinned version.
type VanishedError struct {
	Package, Version string
}

func (e *VanishedError) Error() string {
	return fmt.Sprintf("%s=%s is no longer in the archive", e.Package, e.Version)
}

// markerName is written last into a kernel dir after a complete extract.
const markerName = "complete"

func (s *Store) debPath(p Package) string {
	return filepath.Join(s.opts.CacheDir, "debs", p.Filename)
}

func (s *Store) kernelDir(k LockedKernel) string {
	return filepath.Join(s.opts.CacheDir, "kernels", k.Release+"_"+k.Version)
}

// wasRefreshed reports whether this Store updated the lists of a config
// (keyed by aptSuite.key).
func (s *Store) wasRefreshed(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshed[key]
}

// updateLists runs apt-get update in a suite's private config; the caller
// holds the suite's flock.
func (s *Store) updateLists(ctx context.Context, a *aptSuite) error {
	s.logf("updating package lists for %s...", a.key())
	start := time.Now()
	if err := a.update(ctx); err != nil {
		return err
	}
	s.logf("updated package lists for %s in %s", a.key(), time.Since(start).Round(100*time.Millisecond))
	s.mu.Lock()
	s.refreshed[a.key()] = true
	s.mu.Unlock()
	return nil
}

// markerFor is the marker content: the hashes the tree was extracted from,
// so a changed lock never reuses a stale tree.
func markerFor(k LockedKernel) string {
	var b strings.Builder
	for _, p := range k.Packages {
		fmt.Fprintf(&b, "%s %s\n", p.SHA256, p.Filename)
	}
	return b.String()
}

// Cached reports whether the kernel's tree is extracted and complete.
func (s *Store) Cached(k LockedKernel) bool {
	got, err := os.ReadFile(filepath.Join(s.kernelDir(k), markerName))
	return err == nil && string(got) == markerFor(k)
}

// fetchAndExtract ensures every .deb of k is cached and verified, then
// extracts them once. It holds the kernel's flock throughout.
func (s *Store) fetchAndExtract(ctx context.Context, e Entry, k LockedKernel) (string, error) {
	dir := s.kernelDir(k)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(ctx, dir+".lock", s.log)
	if err != nil {
		return "", err
	}
	defer unlock()
	for _, p := range k.Packages {
		if err := s.ensureDeb(ctx, e, p); err != nil {
			return "", err
		}
	}
	root := filepath.Join(dir, "root")
	if s.Cached(k) {
		return root, nil
	}
	start := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("clear %s: %w", dir, err)
	}
	tmp := root + ".tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	for _, p := range k.Packages {
		if _, err := run(ctx, extractTimeout, dir, "dpkg-deb", "-x", s.debPath(p), tmp); err != nil {
			return "", fmt.Errorf("extract %s: %w", p.Filename, err)
		}
	}
	if err := os.Rename(tmp, root); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, markerName), []byte(markerFor(k)), 0o644); err != nil {
		return "", err
	}
	s.logf("%s: extracted %s into %s in %s", e.Name, k.Release, dir, time.Since(start).Round(100*time.Millisecond))
	return root, nil
}

// ensureDeb makes sure p is in the cache with the right sha256, fetching
// it (again) if it is missing or corrupt.
func (s *Store) ensureDeb(ctx context.Context, e Entry, p Package) error {
	path := s.debPath(p)
	sum, size, err := hashFile(path)
	switch {
	case err == nil && sum == p.SHA256:
		return nil
	case err == nil:
		s.logf("%s: cached %s is corrupt or truncated (%d of %d bytes, sha256 %.12s..., want %.12s...); fetching it again",
			e.Name, p.Filename, size, p.Size, sum, p.SHA256)
		if err := os.Remove(path); err != nil {
			return err
		}
	case !os.IsNotExist(err):
		return err
	}
	return s.download(ctx, e, p)
}

func (s *Store) download(ctx context.Context, e Entry, p Package) error {
	a, err := s.aptFor(e.Suite, e.Arch)
	if err != nil {
		return err
	}
	unlock, err := lockFile(ctx, a.dir+".lock", s.log)
	if err != nil {
		return err
	}
	defer unlock()
	if !a.hasLists() {
		if err := s.updateLists(ctx, a); err != nil {
			return err
		}
	}
	debs := filepath.Dir(s.debPath(p))
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(debs, ".fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	prog := newProgress(s.log, fmt.Sprintf("%s: fetching %s", e.Name, p.Filename), p.Size, tmp)
	err = a.download(ctx, tmp, p)
	if err != nil && notFound(err) && !s.wasRefreshed(a.key()) && (!a.fresh(listsMaxAge) || is404(err)) {
		// Old lists may predate the pinned version, or name a file the
		// mirror has dropped (404): ask the archive again before giving up.
		// Recent lists that lack the version are trusted.
		if err = s.updateLists(ctx, a); err == nil {
			err = a.download(ctx, tmp, p)
		}
	}
	prog.finish(err)
	if err != nil {
		if notFound(err) {
			return &VanishedError{Package: p.Name, Version: p.Version}
		}
		return fmt.Errorf("fetch %s: %w", p.Filename, err)
	}
	got := filepath.Join(tmp, p.Filename)
	if debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb")); len(debs) == 1 {
		got = debs[0] // apt names files itself (e.g. an epoch as %3a)
	}
	sum, size, err := hashFile(got)
	if err != nil {
		return fmt.Errorf("fetch %s: apt-get download left no such file: %w", p.Filename, err)
	}
	if sum != p.SHA256 || size != p.Size {
		return fmt.Errorf("fetch %s: downloaded file has sha256 %s (%d bytes) but the lock pins %s (%d bytes); "+
			"the archive changed it under the same version: run `bpflab kernels update`", p.Filename, sum, size, p.SHA256, p.Size)
	}
	if err := os.Rename(got, s.debPath(p)); err != nil {
		return fmt.Errorf("fetch %s: %w", p.Filename, err)
	}
	return nil
}

// notFound recognises apt's "this version does not exist" errors.
func notFound(err error) bool {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return false
	}
	for _, s := range []string{"was not found", "Unable to locate package", "Can't select", "Can't find a source", "404"} {
		if strings.Contains(ce.Stderr, s) {
			return true
		}
	}
	return false
}

func is404(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Stderr, "404")
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// locate finds the bzImage and modules dir in an extracted tree. Layouts
// differ: bullseye/bookworm use boot/ and lib/modules, trixie moved
// modules to usr/lib/modules, sid's split package puts the image there too.
func locate(root, release string) (vmlinuz, modules string, err error) {
	for _, c := range []string{
		"boot/vmlinuz-" + release,
		"usr/lib/modules/" + release + "/vmlinuz",
		"usr/lib/modules/" + release + "/vmlinuz.unsigned",
		"lib/modules/" + release + "/vmlinuz",
		"lib/modules/" + release + "/vmlinuz.unsigned",
	} {
		if st, err := os.Stat(filepath.Join(root, c)); err == nil && st.Mode().IsRegular() {
			vmlinuz = filepath.Join(root, c)
			break
		}
	}
	if vmlinuz == "" {
		return "", "", fmt.Errorf("no vmlinuz for %s under %s (looked in boot/ and [usr/]lib/modules/%s/)", release, root, release)
	}
	for _, c := range []string{"lib/modules/" + release, "usr/lib/modules/" + release} {
		if st, err := os.Stat(filepath.Join(root, c, "kernel")); err == nil && st.IsDir() {
			return vmlinuz, filepath.Join(root, c), nil
		}
	}
	return "", "", fmt.Errorf("no modules for %s under %s ([usr/]lib/modules/%s/kernel)", release, root, release)
}
