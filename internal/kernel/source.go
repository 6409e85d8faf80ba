package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpflab/bpflab/kernels"
)

// BuiltinManifest is the Path of the default manifest embedded in bpflab
// (package kernels), as it appears in messages.
const BuiltinManifest = "(built-in) kernels/manifest"

// Source is a manifest with its lock and where new resolutions are saved.
type Source struct {
	Manifest Manifest
	Lock     *Lock
	// LockPath is the lock file next to the manifest; empty for the
	// built-in manifest, whose lock is read-only (a resolution made on
	// the way is used for this run and not saved).
	LockPath string
}

// Builtin is bpflab's default kernel matrix, embedded in the binary.
func Builtin() (*Source, error) {
	m, err := ParseManifest(bytes.NewReader(kernels.Manifest), BuiltinManifest)
	if err != nil {
		return nil, err
	}
	l, err := ParseLock(kernels.Lock)
	if err != nil {
		return nil, fmt.Errorf("built-in lock: %w", err)
	}
	return &Source{Manifest: m, Lock: l}, nil
}

// OpenSource picks the kernel matrix: the manifest at path if given, else
// kernels/manifest in dir (a project's root) if it exists, else the
// built-in one. A manifest file's lock is lock.json next to it.
func OpenSource(path, dir string) (*Source, error) {
	if path == "" && dir != "" {
		p := filepath.Join(dir, "kernels", "manifest")
		if _, err := os.Stat(p); err == nil {
			path = p
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("look for a kernel manifest: %w", err)
		}
	}
	if path == "" {
		return Builtin()
	}
	m, err := LoadManifest(path)
	if err != nil {
		return nil, err
	}
	lockPath := filepath.Join(filepath.Dir(path), "lock.json")
	l, err := LoadLock(lockPath)
	if err != nil {
		return nil, err
	}
	return &Source{Manifest: m, Lock: l, LockPath: lockPath}, nil
}
