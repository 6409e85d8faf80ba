package initramfs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Module is a kernel module ready for finit_module: decompressed, with its
// dependencies listed before it by ResolveModules.
type Module struct {
	Name    string   // normalised name, e.g. "veth"
	Path    string   // source file on the host
	Data    []byte   // uncompressed .ko
	Aliases []string // .modinfo alias= values, e.g. "rtnl-link-veth" (may hold globs)
}

// ResolveModules finds the named modules under modulesDir (lib/modules/<release>)
// and everything they depend on, decompresses them and returns them in load
// order. Built-in modules (modules.builtin) are skipped. Dependencies come
// from each module's own .modinfo "depends=" field, so a kernel tree
// unpacked from a .deb without depmod's modules.dep works too.
func ResolveModules(modulesDir string, names []string) ([]Module, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if modulesDir == "" {
		return nil, fmt.Errorf("modules %v requested but the kernel has no modules directory", names)
	}
	index, err := indexModules(modulesDir)
	if err != nil {
		return nil, err
	}
	builtin, builtinKnown := builtinModules(modulesDir)
	var order []Module
	seen := map[string]bool{}
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		name = normalise(name)
		if seen[name] || builtin[name] {
			return nil
		}
		seen[name] = true
		path, ok := index[name]
		if !ok && !builtinKnown {
			// Some packages (e.g. Debian sid's linux-modules) ship no
			// modules.builtin: a module that is not a file is then taken
			// as built in, and the guest fails later if it is not.
			return nil
		}
		if !ok {
			if len(chain) > 0 {
				return fmt.Errorf("module %q (needed by %s) not found under %s nor in modules.builtin", name, strings.Join(chain, " <- "), modulesDir)
			}
			return fmt.Errorf("module %q not found under %s nor in modules.builtin; check the name (see `find %s -name '%s.ko*'`)", name, modulesDir, modulesDir, name)
		}
		data, err := readModule(path)
		if err != nil {
			return err
		}
		deps, err := modinfo(data, "depends")
		if err != nil {
			return fmt.Errorf("module %s: %w", path, err)
		}
		if len(deps) == 1 && deps[0] != "" {
			deps = strings.Split(deps[0], ",")
		} else {
			deps = nil
		}
		aliases, err := modinfo(data, "alias")
		if err != nil {
			return fmt.Errorf("module %s: %w", path, err)
		}
		for _, d := range deps {
			if err := visit(d, append(chain, name)); err != nil {
				return err
			}
		}
		order = append(order, Module{Name: name, Path: path, Data: data, Aliases: aliases})
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// normalise maps a module name the way the kernel does ("-" and "_" are
// the same).
func normalise(name string) string {
	return strings.ReplaceAll(name, "-", "_")
}

// moduleName strips directories and .ko[.xz|.zst|.gz] from a path.
func moduleName(path string) (string, bool) {
	base := filepath.Base(path)
	for _, ext := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(base, ext) {
			return normalise(strings.TrimSuffix(base, ext)), true
		}
	}
	return "", false
}

func indexModules(dir string) (map[string]string, error) {
	index := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if name, ok := moduleName(path); ok {
			if _, dup := index[name]; !dup {
				index[name] = path
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index modules in %s: %w", dir, err)
	}
	return index, nil
}

// builtinModules reads modules.builtin; false means there is none.
func builtinModules(dir string) (map[string]bool, bool) {
	set := map[string]bool{}
	f, err := os.Open(filepath.Join(dir, "modules.builtin"))
	if err != nil {
		return set, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := moduleName(strings.TrimSpace(sc.Text())); ok {
			set[name] = true
		}
	}
	return set, true
}

// readModule reads a module file and decompresses it by its extension.
func readModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	switch {
	case strings.HasSuffix(path, ".xz"):
		xr, err := xz.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("decompress %s: %w", path, err)
		}
		r = xr
	case strings.HasSuffix(path, ".zst"):
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("decompress %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(path, ".gz"):
		gr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("decompress %s: %w", path, err)
		}
		r = gr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", path, err)
	}
	return data, nil
}

// modinfo returns every value of key ("depends", "alias", ...) in the ELF
// .modinfo section, in order.
func modinfo(ko []byte, key string) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, fmt.Errorf("not an ELF module: %w", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read .modinfo: %w", err)
	}
	var vals []string
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte(key+"=")); ok {
			vals = append(vals, string(v))
		}
	}
	return vals, nil
}
