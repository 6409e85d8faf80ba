package matrix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/harness/artifacts"
	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/resultcache"
	"github.com/bpflab/bpflab/internal/vm"
)

// maxCachedArtifacts bounds the artifacts kept with one entry: the
// scenarios write a load report and probe results of a few KB.
const maxCachedArtifacts = 1 << 20

// results is the matrix's use of the result cache in one run: which
// binaries of a kernel's job can be skipped, and storing the passes.
type results struct {
	cache  *resultcache.Cache
	hasher resultcache.Hasher
	read   bool // false: store passes, reuse nothing (Options.Fresh)
}

// openResults opens the result cache next to the kernels, or returns nil
// for runs whose point is the run itself: benchmarks, coverage (the
// profiles come from running), and jobs other than go test packages.
func openResults(o Options) (*results, error) {
	if o.Bench != "" || o.Cover || o.Custom != nil {
		return nil, nil
	}
	dir := o.CacheDir
	if dir == "" {
		d, err := kernel.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	c, err := resultcache.Open(dir, 0, 0)
	if err != nil {
		return nil, err
	}
	// --count N repeats runs to find flaky tests: every run must happen.
	return &results{cache: c, read: !o.Fresh && o.Count <= 1}, nil
}

// cachedJob is a kernel's job split into what must run and what the cache
// already answered.
type cachedJob struct {
	keys      map[string]resultcache.Key // binary name -> key, for binaries that run
	hits      []report.Test
	artifacts map[string][]byte
	cached    int // binaries answered by the cache
}

// lookup removes from job the binaries with a cached passing run and keys
// the others so their passes can be stored. A binary whose key cannot be
// computed (unreadable file) just runs.
func (r *results) lookup(job *vm.Job, backend string, img *kernel.Image, runner string) (*cachedJob, error) {
	if r == nil {
		return nil, nil
	}
	cj := &cachedJob{keys: map[string]resultcache.Key{}, artifacts: map[string][]byte{}}
	kid, err := kernelIdentity(img)
	if err != nil {
		return nil, err
	}
	in := resultcache.Input{Kernel: kid, Backend: backend, Env: keyEnv(job.Env), Modules: job.Modules, Autoload: job.Autoload}
	// The testdata files the binaries read decide a run as much as the
	// binaries do.
	for _, g := range slices.Sorted(maps.Keys(job.Files)) {
		h, err := r.hasher.File(job.Files[g])
		if err != nil {
			return nil, err
		}
		in.Files = append(in.Files, g+":"+h)
	}
	if job.Kernel != nil { // a guest: the runner and carried tools decide too
		if in.Runner, err = r.hasher.File(runner); err != nil {
			return nil, err
		}
		for _, t := range job.Tools {
			h, err := r.hasher.File(t)
			if err != nil {
				return nil, err
			}
			in.Tools = append(in.Tools, filepath.Base(t)+":"+h)
		}
	}
	var run []vm.Binary
	for _, b := range job.Binaries {
		h, err := r.hasher.File(b.Path)
		if err != nil {
			return nil, err
		}
		bin := in
		bin.Binary, bin.Args = h, b.Args
		k := bin.Key()
		if e := r.get(k); e != nil {
			cj.hits = append(cj.hits, e.Tests...)
			for n, d := range e.Artifacts {
				cj.artifacts[n] = d
			}
			cj.cached++
			continue
		}
		cj.keys[b.Name] = k
		run = append(run, b)
	}
	job.Binaries = run
	return cj, nil
}

func (r *results) get(k resultcache.Key) *resultcache.Entry {
	if !r.read {
		return nil
	}
	return r.cache.Get(k)
}

// keyEnv is the environment as it decides a run: the artifacts directory
// is in a new work dir every run, and only its presence matters.
func keyEnv(env []string) []string {
	var out []string
	for _, e := range env {
		if strings.HasPrefix(e, artifacts.Env+"=") {
			e = artifacts.Env
		}
		out = append(out, e)
	}
	return out
}

// store keeps the passing binaries of a completed run. The artifacts the
// run left are stored with each (the job's binaries share one directory,
// so which binary wrote a file is not known; see restoreArtifacts).
func (r *results) store(k *report.Kernel, run *vm.Run, runErr error, cj *cachedJob, artifactsDir string) error {
	if r == nil || cj == nil || runErr != nil || run == nil || k.Error != "" || len(k.UnallowedSplats()) > 0 {
		return nil // the kernel did not complete or splatted: nothing is trusted
	}
	arts := readArtifacts(artifactsDir)
	for _, res := range run.Results {
		key, ok := cj.keys[res.Name]
		if !ok || res.ExitCode != 0 {
			continue
		}
		var tests []report.Test
		passed := true
		for _, t := range k.Tests {
			if t.Package == res.Name {
				tests = append(tests, t)
				passed = passed && t.Status != report.Fail
			}
		}
		if !passed || len(tests) == 0 {
			continue
		}
		for i := range tests {
			tests[i].Output = "" // passes keep no output in the report either
		}
		e := &resultcache.Entry{Package: res.Name, Kernel: k.Name, Stored: time.Now().UTC(), Tests: tests, Artifacts: arts}
		if err := r.cache.Put(key, e); err != nil {
			return err
		}
	}
	return nil
}

// restoreArtifacts writes the cached binaries' artifacts into dir where the
// binaries that ran left no file of that name, so the kernel's load report
// and probes survive a run in which their writer was cached.
func restoreArtifacts(dir string, arts map[string][]byte) error {
	if len(arts) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("restore cached artifacts: %w", err)
	}
	for name, data := range arts {
		if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("restore cached artifacts: %w", err)
		}
	}
	return nil
}

func readArtifacts(dir string) map[string][]byte {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string][]byte{}
	total := 0
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || total+len(data) > maxCachedArtifacts {
			continue
		}
		total += len(data)
		out[e.Name()] = data
	}
	return out
}

// kernelIdentity names the kernel's bytes: the pinned packages' sha256 for
// Debian kernels, the image's and the modules' for a local build, and the
// release and build string for the host (the running kernel's image is not
// always readable, and its build string changes with every build).
func kernelIdentity(img *kernel.Image) (string, error) {
	if img.Kernel == nil {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return "", fmt.Errorf("uname: %w", err)
		}
		return "host:" + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Version[:]) +
			" " + unix.ByteSliceToString(u.Machine[:]), nil
	}
	if img.Locked != nil && len(img.Locked.Packages) > 0 {
		id := "debian:" + img.Locked.Release
		for _, p := range img.Locked.Packages {
			id += " " + p.Name + "=" + p.SHA256
		}
		return id, nil
	}
	// A local kernel: hash the image, and the modules by name, size and
	// mtime (hashing every module would cost seconds per run).
	var h resultcache.Hasher
	sum, err := h.File(img.Kernel.Vmlinuz)
	if err != nil {
		return "", err
	}
	id := "local:" + img.Kernel.Release + " " + sum
	if img.Kernel.ModulesDir != "" {
		var lines []string
		err := filepath.WalkDir(img.Kernel.ModulesDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if info, err := d.Info(); err == nil && d.Type().IsRegular() {
				lines = append(lines, fmt.Sprintf("%s %d %d", p, info.Size(), info.ModTime().UnixNano()))
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("modules of %s: %w", img.Kernel.Name, err)
		}
		sort.Strings(lines)
		m := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		id += " modules:" + hex.EncodeToString(m[:])
	}
	return id, nil
}
