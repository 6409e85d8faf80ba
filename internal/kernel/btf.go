package kernel

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Where a kernel's BTF comes from (Image.BTFSource).
const (
	BTFFromKernel = "kernel"     // CONFIG_DEBUG_INFO_BTF=y: /sys/kernel/btf/vmlinux
	BTFFromDbg    = "dbg+pahole" // generated from the -dbg package's vmlinux
)

// btfTimeout bounds extracting the debug vmlinux (~200 MB out of a
// ~430 MB .deb) and running pahole on it; measured ~60 s + ~25 s on two
// busy cores.
const btfTimeout = 10 * time.Minute

// kernelConfig reports whether the packaged config sets option=y; known
// is false when the package has no config file.
func kernelConfig(root, release, option string) (set, known bool) {
	for _, c := range []string{"boot/config-" + release, "usr/lib/modules/" + release + "/config", "lib/modules/" + release + "/config"} {
		f, err := os.Open(filepath.Join(root, c))
		if err != nil {
			continue
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if sc.Text() == option+"=y" {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// kernelHasBTF: false only when the packaged config exists and does not
// say CONFIG_DEBUG_INFO_BTF=y.
func kernelHasBTF(root, release string) bool {
	set, known := kernelConfig(root, release, "CONFIG_DEBUG_INFO_BTF")
	return set || !known
}

// JIT modes (Image.JIT) from the packaged config.
const (
	JITCompiled    = "jit"         // CONFIG_BPF_JIT=y
	JITInterpreter = "interpreter" // no CONFIG_BPF_JIT: every program is interpreted
)

// kernelJIT says how the kernel runs BPF programs, "" if the package has
// no config.
func kernelJIT(root, release string) string {
	set, known := kernelConfig(root, release, "CONFIG_BPF_JIT")
	switch {
	case !known:
		return ""
	case set:
		return JITCompiled
	}
	return JITInterpreter
}

// ensureBTF gives a kernel built without BTF (Debian's bookworm s390x) a
// detached BTF file generated from its own debug vmlinux, as BTFHub does
// for enterprise kernels: the -dbg package is pinned in the lock, fetched
// and verified like the image, and pahole's output is cached with its
// sha256, checked on every use. It returns the file ("" when the kernel
// has BTF itself) and where the BTF comes from.
func (s *Store) ensureBTF(ctx context.Context, e Entry, k *LockedKernel, root string) (string, string, error) {
	if kernelHasBTF(root, k.Release) {
		return "", BTFFromKernel, nil
	}
	if k.Debug == nil {
		a, err := s.aptFor(e.Suite, e.Arch)
		if err != nil {
			return "", "", err
		}
		pkgs, err := s.lookupPackages(ctx, a, []string{"linux-image-" + k.Release + "-dbg"}, k.Version)
		if err != nil {
			return "", "", fmt.Errorf("kernel has no BTF (CONFIG_DEBUG_INFO_BTF unset) and its debug package cannot be resolved: %w", err)
		}
		k.Debug = &pkgs[0]
		s.logf("%s: no BTF in the kernel; pinning %s=%s to generate it", e.Name, k.Debug.Name, k.Debug.Version)
		if err := s.setLocked(e.Name, *k); err != nil {
			return "", "", err
		}
	}
	dir := filepath.Join(s.kernelDir(*k), "btf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	unlock, err := lockFile(ctx, dir+".lock", s.log)
	if err != nil {
		return "", "", err
	}
	defer unlock()
	out := filepath.Join(dir, "vmlinux.btf")
	marker := filepath.Join(dir, markerName)
	pahole, err := paholeVersion(ctx)
	if err != nil {
		return "", "", err
	}
	if want, err := os.ReadFile(marker); err == nil {
		sum, _, herr := hashFile(out)
		if herr == nil && string(want) == btfMarker(*k.Debug, pahole, sum) {
			return out, BTFFromDbg, nil
		}
		s.logf("%s: cached BTF %s does not match its record; generating it again", e.Name, out)
		_ = os.Remove(marker)
	}
	if err := s.ensureDeb(ctx, e, *k.Debug); err != nil {
		return "", "", err
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, btfTimeout)
	defer cancel()
	vmlinux := filepath.Join(dir, "vmlinux.debug")
	defer os.Remove(vmlinux)
	if err := extractFile(ctx, s.debPath(*k.Debug), "./usr/lib/debug/boot/vmlinux-"+k.Release, vmlinux); err != nil {
		return "", "", fmt.Errorf("BTF for %s: %w", k.Release, err)
	}
	tmp := out + ".tmp"
	if o, err := exec.CommandContext(ctx, "pahole", "--btf_encode_detached="+tmp, vmlinux).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("BTF for %s: pahole --btf_encode_detached: %w: %s", k.Release, err, tail(string(o), 10))
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", "", err
	}
	sum, size, err := hashFile(out)
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(marker, []byte(btfMarker(*k.Debug, pahole, sum)), 0o644); err != nil {
		return "", "", err
	}
	s.logf("%s: generated BTF (%d bytes, sha256 %.12s...) from %s with %s in %s", e.Name, size, sum, k.Debug.Filename, pahole,
		time.Since(start).Round(100*time.Millisecond))
	return out, BTFFromDbg, nil
}

// btfMarker records what the cached BTF was made from and its hash.
func btfMarker(dbg Package, pahole, sum string) string {
	return fmt.Sprintf("%s %s\n%s\nsha256 %s\n", dbg.SHA256, dbg.Filename, pahole, sum)
}

func paholeVersion(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "pahole", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("this kernel has no BTF and generating it needs pahole (Debian package dwarves; scripts/setup installs it): %w", err)
	}
	return "pahole " + strings.TrimSpace(string(out)), nil
}

// extractFile copies one member of a .deb's data archive to dst, reading
// the archive through `dpkg-deb --fsys-tarfile` (whatever its compression).
func extractFile(ctx context.Context, deb, member, dst string) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w", deb, err)
	}
	found := false
	defer func() {
		if !found {
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
	}()
	tr := tar.NewReader(pipe)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s has no %s", filepath.Base(deb), member)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Base(deb), err)
		}
		if h.Name != member {
			continue
		}
		f, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return fmt.Errorf("extract %s: %w", member, err)
		}
		found = true
		_, _ = io.Copy(io.Discard, pipe) // let dpkg-deb finish cleanly
		return f.Close()
	}
}
