package initramfs

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ToolClosure returns what a dynamically linked host executable needs to
// run in a guest that has no libc: the executable, its ELF interpreter
// and the shared libraries it loads (recursively), each as the absolute
// path the dynamic loader will open, which is also where the host has it.
// A static executable needs only itself.
func ToolClosure(exe string) ([]string, error) {
	if !filepath.IsAbs(exe) {
		return nil, fmt.Errorf("tool %s: need an absolute path", exe)
	}
	dirs, err := librarySearchPath("/etc/ld.so.conf")
	if err != nil {
		return nil, err
	}
	c := &closure{dirs: dirs, seen: map[string]bool{}}
	if err := c.add(exe, true); err != nil {
		return nil, fmt.Errorf("tool %s: %w", exe, err)
	}
	return c.paths, nil
}

type closure struct {
	dirs  []string
	seen  map[string]bool
	paths []string
}

func (c *closure) add(path string, top bool) error {
	if c.seen[path] {
		return nil
	}
	c.seen[path] = true
	c.paths = append(c.paths, path)
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if top {
		for _, p := range f.Progs {
			if p.Type != elf.PT_INTERP {
				continue
			}
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return fmt.Errorf("read interpreter of %s: %w", path, err)
			}
			if err := c.add(strings.TrimRight(string(b), "\x00"), false); err != nil {
				return err
			}
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil || len(needed) == 0 {
		return nil // static, or no dynamic section
	}
	// DT_RUNPATH / DT_RPATH directories come first ($ORIGIN resolved).
	var own []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for _, d := range strings.Split(v, ":") {
				own = append(own, strings.ReplaceAll(d, "$ORIGIN", filepath.Dir(path)))
			}
		}
	}
	for _, lib := range needed {
		found := ""
		for _, d := range append(own, c.dirs...) {
			p := filepath.Join(d, lib)
			if _, err := os.Stat(p); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			return fmt.Errorf("%s needs %s, found in none of %v", path, lib, append(own, c.dirs...))
		}
		if err := c.add(found, false); err != nil {
			return err
		}
	}
	return nil
}

// librarySearchPath is the dynamic loader's directory list: ld.so.conf
// (with its includes) and then the built-in defaults.
func librarySearchPath(conf string) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	var read func(string, int) error
	read = func(file string, depth int) error {
		if depth > 8 {
			return fmt.Errorf("%s: includes nested too deep", file)
		}
		f, err := os.Open(file)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if rest, ok := strings.CutPrefix(line, "include "); ok {
				pattern := strings.TrimSpace(rest)
				if !filepath.IsAbs(pattern) {
					pattern = filepath.Join(filepath.Dir(file), pattern)
				}
				matches, _ := filepath.Glob(pattern)
				for _, m := range matches {
					if err := read(m, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			if filepath.IsAbs(line) && !seen[line] {
				seen[line] = true
				dirs = append(dirs, line)
			}
		}
		return sc.Err()
	}
	if err := read(conf, 0); err != nil {
		return nil, fmt.Errorf("read %s: %w", conf, err)
	}
	for _, d := range []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"} {
		if !seen[d] {
			dirs = append(dirs, d)
		}
	}
	return dirs, nil
}
