package initramfs

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bpflab/bpflab/internal/atomicfile"
)

// Entry is one file of the archive.
type Entry struct {
	Name   string // path inside the archive, e.g. "init" or "bpflab/bin/xdp.test"
	Source string // host file to copy (if Data is nil)
	Data   []byte
	Mode   uint32 // permission bits, e.g. 0o755
}

// format changes whenever the archive layout changes, invalidating caches.
const format = "bpflab-initramfs-1"

// Build writes an uncompressed cpio archive with the entries plus the
// skeleton every guest needs (/dev/console, /proc, /sys, /tmp, ...) into
// cacheDir, named by the hash of its contents, and returns its path. An
// archive with the same contents is reused. Uncompressed, because under TCG
// the guest's gunzip costs more than qemu copying a larger file.
func Build(cacheDir string, entries []Entry) (string, error) {
	h := sha256.New()
	h.Write([]byte(format))
	for i := range entries {
		e := &entries[i]
		if e.Data == nil {
			data, err := os.ReadFile(e.Source)
			if err != nil {
				return "", fmt.Errorf("initramfs entry %s: %w", e.Name, err)
			}
			e.Data = data
		}
		sum := sha256.Sum256(e.Data)
		fmt.Fprintf(h, "\x00%s\x00%o\x00%x", e.Name, e.Mode, sum)
	}
	name := "initramfs-" + hex.EncodeToString(h.Sum(nil))[:32] + ".cpio"
	path := filepath.Join(cacheDir, name)
	if _, err := os.Stat(path); err == nil {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // recently used: pruned last
		return path, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("initramfs cache: %w", err)
	}
	var buf bytes.Buffer
	w := newCPIOWriter(&buf)
	for _, d := range []string{"dev", "proc", "sys", "tmp", "run", "root"} {
		w.Dir(d)
	}
	w.CharDev("dev/console", 0o600, 5, 1)
	w.CharDev("dev/null", 0o666, 1, 3)
	for _, e := range entries {
		w.File(e.Name, e.Mode, e.Data)
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("initramfs cache: %w", err)
	}
	prune(cacheDir, path)
	return path, nil
}

// Cache bounds: test binaries change with every build, so old archives are
// dropped, but never young ones another job may be about to boot.
const (
	keepArchives = 16
	keepYoung    = time.Hour
)

// prune removes the oldest archives beyond keepArchives that are older than
// keepYoung. Errors are ignored: the cache is only an optimisation.
func prune(dir, keep string) {
	paths, _ := filepath.Glob(filepath.Join(dir, "initramfs-*.cpio"))
	if len(paths) <= keepArchives {
		return
	}
	type aged struct {
		path string
		mod  time.Time
	}
	var all []aged
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			all = append(all, aged{p, st.ModTime()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mod.After(all[j].mod) })
	for _, a := range all[min(keepArchives, len(all)):] {
		if a.path != keep && time.Since(a.mod) > keepYoung {
			os.Remove(a.path)
		}
	}
}

// ErrDynamic is returned by CheckStatic for a dynamically linked binary.
var ErrDynamic = errors.New("dynamically linked")

// CheckStatic makes sure path is a static ELF executable: the initramfs
// has no libc and no dynamic loader. CheckArch checks its architecture.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp := "a dynamic loader"
			if data, err := readAll(p); err == nil {
				interp = strings.TrimRight(string(data), "\x00")
			}
			return fmt.Errorf("%s is %w (interpreter %s) and the guest has no libc: build it with CGO_ENABLED=0 (e.g. CGO_ENABLED=0 go test -c, or CGO_ENABLED=0 go test -exec ...)",
				path, ErrDynamic, interp)
		}
	}
	return nil
}

func readAll(p *elf.Prog) ([]byte, error) {
	data := make([]byte, p.Filesz)
	_, err := p.ReadAt(data, 0)
	return data, err
}

// elfMachines maps the guest architectures (GOARCH names) to ELF machines.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
	"s390x": elf.EM_S390,
}

// CheckArch makes sure the ELF file at path runs on goarch ("" = amd64).
func CheckArch(path, goarch string) error {
	if goarch == "" {
		goarch = "amd64"
	}
	want, ok := elfMachines[goarch]
	if !ok {
		return fmt.Errorf("no guest architecture %q", goarch)
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	if f.Machine != want {
		return fmt.Errorf("%s is built for %v, the guest is %s (build it with GOARCH=%s)", path, f.Machine, goarch, goarch)
	}
	return nil
}
