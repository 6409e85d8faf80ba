package kernel

import (
	"context"
	"fmt"
	"os"
)

// Check is the state of one cached .deb.
type Check struct {
	Package Package
	Status  string // "ok", "missing", "corrupt"
	Detail  string
}

// Verify re-hashes the cached .debs of a Debian kernel against the lock.
// It downloads nothing; a missing or corrupt file is reported, not fixed.
func (s *Store) Verify(ctx context.Context, name string) ([]Check, error) {
	e, err := s.opts.Manifest.Lookup(name)
	if err != nil {
		return nil, err
	}
	if e.Kind != KindDebian {
		return nil, nil
	}
	k, ok := s.Locked(name)
	if !ok {
		return nil, fmt.Errorf("kernel %s is not in the lock file; run `bpflab kernels update %s`", name, name)
	}
	var out []Check
	for _, p := range k.Packages {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		c := Check{Package: p, Status: "ok"}
		sum, size, err := hashFile(s.debPath(p))
		switch {
		case os.IsNotExist(err):
			c.Status, c.Detail = "missing", "not downloaded"
		case err != nil:
			return out, err
		case sum != p.SHA256:
			c.Status = "corrupt"
			c.Detail = fmt.Sprintf("%d of %d bytes, sha256 %s, lock says %s", size, p.Size, sum, p.SHA256)
		}
		out = append(out, c)
	}
	return out, nil
}

// Update re-resolves the named Debian kernels (all of them if names is
// empty) against the archive, records the results in the lock (saved to
// LockPath if set), and returns what changed.
func (s *Store) Update(ctx context.Context, names []string) ([]string, error) {
	if len(names) == 0 {
		names = s.opts.Manifest.Names()
	}
	old := s.Lock()
	for _, n := range names {
		e, err := s.opts.Manifest.Lookup(n)
		if err != nil {
			return nil, err
		}
		if e.Kind != KindDebian {
			continue
		}
		k, err := s.ResolveFresh(ctx, e.Suite, e.Arch)
		if err != nil {
			return nil, fmt.Errorf("kernel %s: %w", n, err)
		}
		if o, ok := old.Kernels[n]; ok && o.Debug != nil && o.Release == k.Release && o.Version == k.Version {
			k.Debug = o.Debug // the BTF source of an unchanged kernel stays pinned
		}
		s.logf("%s: %s %s %s (%s)", n, e.Suite, k.GoArch(), k.Version, k.Release)
		s.mu.Lock()
		s.lock.Kernels[n] = k
		s.mu.Unlock()
	}
	// Entries the manifest no longer lists leave the lock.
	s.mu.Lock()
	for n := range s.lock.Kernels {
		if e, err := s.opts.Manifest.Lookup(n); err != nil || e.Kind != KindDebian {
			delete(s.lock.Kernels, n)
		}
	}
	s.mu.Unlock()
	changes := Diff(old, s.Lock())
	if s.opts.LockPath != "" {
		if err := s.Lock().Save(s.opts.LockPath); err != nil {
			return changes, err
		}
	}
	return changes, nil
}
