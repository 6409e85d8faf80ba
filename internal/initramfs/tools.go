package initramfs

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// loaderTimeout bounds one `ld.so --list`; it answers in milliseconds.
const loaderTimeout = 30 * time.Second

// ToolClosure returns what a dynamically linked host executable needs to
// run in a guest that has no libc: the executable, its ELF interpreter
// and the shared libraries it loads (recursively), each as the absolute
// path the dynamic loader opens, which is also where the host has it.
// A static executable needs only itself.
//
// The loader itself answers (`INTERP --list EXE`, what ldd runs): its
// search order (DT_RPATH vs DT_RUNPATH, $ORIGIN, ld.so.conf and its
// cache, hwcaps subdirectories, the ELF class) is the one that applies in
// the guest, since the files keep their host paths.
func ToolClosure(exe string) ([]string, error) {
	if !filepath.IsAbs(exe) {
		return nil, fmt.Errorf("tool %s: need an absolute path", exe)
	}
	interp, err := interpreter(exe)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", exe, err)
	}
	if interp == "" {
		return []string{exe}, nil // static
	}
	ctx, cancel := context.WithTimeout(context.Background(), loaderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, interp, "--list", exe)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("tool %s: %s --list gave no answer within %v", exe, interp, loaderTimeout)
		}
		return nil, fmt.Errorf("tool %s: %s --list: %w: %s", exe, interp, err, strings.TrimSpace(stderr.String()))
	}
	libs, err := parseLoaderList(out)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", exe, err)
	}
	paths := []string{exe, interp}
	seen := map[string]bool{exe: true, interp: true}
	for _, l := range libs {
		if !seen[l] {
			seen[l] = true
			paths = append(paths, l)
		}
	}
	return paths, nil
}

// interpreter returns the ELF interpreter (PT_INTERP) of exe, "" if none.
func interpreter(exe string) (string, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return "", fmt.Errorf("read interpreter: %w", err)
		}
		interp := strings.TrimRight(string(b), "\x00")
		if !filepath.IsAbs(interp) {
			return "", fmt.Errorf("interpreter %q is not an absolute path", interp)
		}
		return interp, nil
	}
	return "", nil
}

// parseLoaderList reads `ld.so --list` output: "NAME => PATH (ADDR)" for
// each library found, "NAME => not found" for one that is not, "PATH
// (ADDR)" for the loader itself, and the vDSO with no path (the kernel
// provides it). It returns the absolute paths in order.
func parseLoaderList(out []byte) ([]string, error) {
	var paths, missing []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "statically linked" {
			continue
		}
		name, target, found := strings.Cut(line, " => ")
		if !found {
			target = name
		}
		target = strings.TrimSpace(target)
		if target == "not found" {
			missing = append(missing, name)
			continue
		}
		if i := strings.LastIndex(target, " (0x"); i >= 0 {
			target = target[:i]
		}
		if filepath.IsAbs(target) {
			paths = append(paths, target)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the dynamic loader finds no %s", strings.Join(missing, ", "))
	}
	return paths, sc.Err()
}
