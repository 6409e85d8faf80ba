package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bpflab/bpflab/internal/uname"
	"github.com/bpflab/bpflab/internal/vm"
)

// Environment variables the store honours.
const (
	EnvCache          = "BPFLAB_CACHE"                  // cache dir override
	EnvMirror         = "BPFLAB_DEBIAN_MIRROR"          // Debian archive URI, if apt sources have none
	EnvSecurityMirror = "BPFLAB_DEBIAN_SECURITY_MIRROR" // Debian security archive URI
)

// Options configure a Store.
type Options struct {
	CacheDir string   // default DefaultCacheDir()
	Manifest Manifest // the kernels by name
	Lock     *Lock    // pinned resolutions; nil starts empty
	LockPath string   // if set, resolutions made on the way are saved here
	Log      io.Writer
	// AptRoot is where the system's apt sources are read ("/" if empty).
	AptRoot string
}

// Store resolves, fetches, verifies and extracts the manifest's kernels.
// It is safe for concurrent use; separate processes coordinate through
// flocks in the cache.
type Store struct {
	opts Options
	log  io.Writer

	mu        sync.Mutex
	lock      *Lock
	mirrors   *Mirrors
	refreshed map[string]bool // suites whose lists this Store updated
}

// Image is a kernel ready for a backend, with what it was made from.
type Image struct {
	Entry   Entry
	Kernel  *vm.Kernel    // nil for the host kernel (vm.Job.Kernel nil means host)
	Release string        // uname -r, also for the host
	Locked  *LockedKernel // the pinned packages (Debian kernels only)
	Root    string        // extracted tree (Debian kernels only)
	// BTFSource says where the kernel's BTF comes from: BTFFromKernel, or
	// BTFFromDbg with the generated file in Kernel.BTF.
	BTFSource string
	// JIT is JITCompiled or JITInterpreter (from the packaged config).
	JIT string
}

// DefaultCacheDir is $BPFLAB_CACHE, else $XDG_CACHE_HOME/bpflab, else
// ~/.cache/bpflab.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find cache dir (set %s): %w", EnvCache, err)
	}
	return filepath.Join(d, "bpflab"), nil
}

// NewStore makes a store; it touches nothing until used.
func NewStore(opts Options) (*Store, error) {
	if opts.CacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = d
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.AptRoot == "" {
		opts.AptRoot = "/"
	}
	lock := opts.Lock
	if lock == nil {
		lock = &Lock{Kernels: map[string]LockedKernel{}}
	}
	return &Store{opts: opts, log: opts.Log, lock: lock, refreshed: map[string]bool{}}, nil
}

// CacheDir is where the store keeps apt configs, .debs and kernel trees.
func (s *Store) CacheDir() string { return s.opts.CacheDir }

// Manifest returns the store's manifest.
func (s *Store) Manifest() Manifest { return s.opts.Manifest }

// Locked returns the pinned resolution of name, if any.
func (s *Store) Locked(name string) (LockedKernel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.lock.Kernels[name]
	return k, ok
}

// Lock returns a copy of the current lock (including resolutions made by
// this store).
func (s *Store) Lock() *Lock {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Lock{Kernels: make(map[string]LockedKernel, len(s.lock.Kernels))}
	for n, k := range s.lock.Kernels {
		c.Kernels[n] = k
	}
	return c
}

func (s *Store) logf(format string, args ...any) {
	fmt.Fprintf(s.log, "kernel: "+format+"\n", args...)
}

// setLocked records a resolution and saves the lock file if configured.
func (s *Store) setLocked(name string, k LockedKernel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lock.Kernels[name] = k
	if s.opts.LockPath == "" {
		return nil
	}
	if err := s.lock.Save(s.opts.LockPath); err != nil {
		return err
	}
	s.logf("%s: lock file %s updated", name, s.opts.LockPath)
	return nil
}

// aptFor returns the private apt config of a suite and architecture.
func (s *Store) aptFor(suite, arch string) (*aptSuite, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mirrors == nil {
		m, err := s.findMirrors()
		if err != nil {
			return nil, err
		}
		s.mirrors = &m
	}
	return newAptSuite(s.opts.CacheDir, suite, arch, *s.mirrors)
}

func (s *Store) findMirrors() (Mirrors, error) {
	if u := os.Getenv(EnvMirror); u != "" {
		return Mirrors{Main: strings.TrimSuffix(u, "/"), Security: strings.TrimSuffix(os.Getenv(EnvSecurityMirror), "/")}, nil
	}
	srcs, err := SystemSources(s.opts.AptRoot)
	if err != nil {
		return Mirrors{}, err
	}
	m, err := FindMirrors(srcs)
	if err != nil {
		return Mirrors{}, err
	}
	if u := os.Getenv(EnvSecurityMirror); u != "" {
		m.Security = strings.TrimSuffix(u, "/")
	}
	return m, nil
}

// Ensure makes kernel name usable: resolve it if the lock lacks it, fetch
// and verify its .debs, extract them once, and return the paths.
func (s *Store) Ensure(ctx context.Context, name string) (*Image, error) {
	e, err := s.opts.Manifest.Lookup(name)
	if err != nil {
		return nil, err
	}
	switch e.Kind {
	case KindHost:
		rel, err := uname.Release()
		if err != nil {
			return nil, err
		}
		return &Image{Entry: e, Release: rel}, nil
	case KindLocal:
		return localImage(e)
	}
	img, err := s.ensureDebian(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", name, err)
	}
	return img, nil
}

func (s *Store) ensureDebian(ctx context.Context, e Entry) (*Image, error) {
	k, ok := s.Locked(e.Name)
	switch {
	case !ok:
		s.logf("%s: not in the lock file; resolving the newest %s kernel", e.Name, e.Suite)
	case k.Suite != e.Suite:
		s.logf("%s: lock has suite %s but the manifest says %s; resolving again", e.Name, k.Suite, e.Suite)
		ok = false
	case k.GoArch() != e.GoArch():
		s.logf("%s: lock has arch %s but the manifest says %s; resolving again", e.Name, k.GoArch(), e.GoArch())
		ok = false
	}
	if !ok {
		var err error
		if k, err = s.Resolve(ctx, e.Suite, e.Arch); err != nil {
			return nil, err
		}
		if err := s.setLocked(e.Name, k); err != nil {
			return nil, err
		}
	}
	root, err := s.fetchAndExtract(ctx, e, k)
	var gone *VanishedError
	if errors.As(err, &gone) {
		s.logf("%s: pinned %v; resolving the newest %s kernel instead", e.Name, gone, e.Suite)
		if k, err = s.Resolve(ctx, e.Suite, e.Arch); err != nil {
			return nil, err
		}
		s.logf("%s: now %s (%s)", e.Name, k.Version, k.Release)
		if err := s.setLocked(e.Name, k); err != nil {
			return nil, err
		}
		root, err = s.fetchAndExtract(ctx, e, k)
	}
	if err != nil {
		return nil, err
	}
	vmlinuz, modules, err := locate(root, k.Release)
	if err != nil {
		return nil, err
	}
	btfPath, btfSource, err := s.ensureBTF(ctx, e, &k, root)
	if err != nil {
		return nil, err
	}
	return &Image{
		Entry:     e,
		Kernel:    &vm.Kernel{Name: e.Name, Release: k.Release, Vmlinuz: vmlinuz, ModulesDir: modules, Arch: k.GoArch(), BTF: btfPath},
		Release:   k.Release,
		Locked:    &k,
		Root:      root,
		BTFSource: btfSource,
		JIT:       kernelJIT(root, k.Release),
	}, nil
}

func localImage(e Entry) (*Image, error) {
	if _, err := os.Stat(e.Vmlinuz); err != nil {
		return nil, fmt.Errorf("kernel %s (manifest line %d): vmlinuz: %w", e.Name, e.Line, err)
	}
	if e.Modules != "" {
		if st, err := os.Stat(e.Modules); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("kernel %s (manifest line %d): modules dir %s is not a directory", e.Name, e.Line, e.Modules)
		}
	}
	return &Image{
		Entry:   e,
		Kernel:  &vm.Kernel{Name: e.Name, Release: e.Release, Vmlinuz: e.Vmlinuz, ModulesDir: e.Modules, Arch: e.GoArch()},
		Release: e.Release,
	}, nil
}
