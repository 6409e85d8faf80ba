package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/kernelbtf"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vmlinux"
)

// GuestEnv names a static guest runner binary, overriding the search.
const GuestEnv = guest.EnvBinary

// FindGuestFor locates the guest runner for a GOARCH: FindGuest for the
// host's own, else bpflab cross-built static once into the user cache
// (the matrix passes its own as Job.Runner).
func FindGuestFor(arch string) (string, error) {
	if !foreign(arch) {
		return FindGuest()
	}
	cache, err := kernel.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	return guest.RunnerBinaryFor(context.Background(), cache, arch, os.Stderr)
}

// FindGuest locates the static guest runner: $BPFLAB_GUEST_BINARY, else
// bpflab itself (see guest.Binary), rebuilt static into the user cache
// once if this bpflab links libc.
func FindGuest() (string, error) {
	cache, err := kernel.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	return guest.RunnerBinary(context.Background(), cache, os.Stderr)
}

// boot is what prepare produced for one job.
type boot struct {
	kernel  string // vmlinux (PVH) or bzImage / arch image
	pvh     bool
	initrd  string
	machine machine
}

// prepare checks the inputs and builds (or reuses) the kernel and initramfs.
// Errors name the phase: "modules" for module resolution, "prepare" else.
func (b *Backend) prepare(job vm.Job) (*boot, error) {
	k := job.Kernel
	if k == nil || k.Vmlinuz == "" {
		return nil, &vm.PhaseError{Phase: "prepare", Err: errors.New("the qemu backend needs a kernel image (Job.Kernel.Vmlinuz)")}
	}
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("kernel %s: %w", k.Name, err)}
	}
	mach, err := machineFor(k.GoArch())
	if err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("kernel %s: %w", k.Name, err)}
	}
	guestBin := job.Runner
	if guestBin == "" && !foreign(k.GoArch()) {
		guestBin = b.GuestBinary
	}
	if guestBin == "" {
		p, err := FindGuestFor(k.GoArch())
		if err != nil {
			return nil, &vm.PhaseError{Phase: "prepare", Err: err}
		}
		guestBin = p
	}
	if err := initramfs.CheckStatic(guestBin); err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("guest runner: %w", err)}
	}
	if err := initramfs.CheckArch(guestBin, k.GoArch()); err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("guest runner for kernel %s: %w", k.Name, err)}
	}
	spec := guest.Spec{Env: job.Env, ResultsPort: mach.resultsPort, ArtifactsDir: "/bpflab/artifacts"}
	entries := []initramfs.Entry{{Name: "init", Source: guestBin, Mode: 0o755}}
	if k.BTF != "" {
		// A kernel without BTF of its own: its generated BTF goes where
		// cilium/ebpf and libbpf look after /sys/kernel/btf/vmlinux.
		guestPath := "/boot/vmlinux-" + k.Release
		entries = append(entries, initramfs.Entry{Name: guestPath[1:], Source: k.BTF, Mode: 0o644})
		spec.Env = append(slices.Clone(spec.Env), kernelbtf.EnvFile+"="+guestPath)
	}
	inRamfs := map[string]string{} // host path -> name: a binary run N times is carried once
	for i, bin := range job.Binaries {
		label := bin.Name
		if label == "" {
			label = filepath.Base(bin.Path)
		}
		if sameFile(bin.Path, guestBin) {
			// bpflab running itself (bpflab check): it is /init already.
			spec.Binaries = append(spec.Binaries, guest.Binary{Name: label, Path: "/init", Args: bin.Args, Dir: bin.Dir})
			continue
		}
		name, ok := inRamfs[bin.Path]
		if !ok {
			if err := initramfs.CheckStatic(bin.Path); err != nil {
				return nil, &vm.PhaseError{Phase: "prepare", Err: err}
			}
			if err := initramfs.CheckArch(bin.Path, k.GoArch()); err != nil {
				return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("kernel %s: %w (build it with GOARCH=%s)", k.Name, err, k.GoArch())}
			}
			name = fmt.Sprintf("bpflab/bin/%02d-%s", i, filepath.Base(bin.Path))
			inRamfs[bin.Path] = name
			entries = append(entries, initramfs.Entry{Name: name, Source: bin.Path, Mode: 0o755})
		}
		spec.Binaries = append(spec.Binaries, guest.Binary{Name: label, Path: "/" + name, Args: bin.Args, Dir: bin.Dir})
	}
	portMods, err := initramfs.ResolveModules(k.ModulesDir, mach.portModules)
	if err != nil {
		return nil, &vm.PhaseError{Phase: "modules", Err: fmt.Errorf("kernel %s: results port driver: %w", k.Name, err)}
	}
	for i, m := range portMods {
		name := fmt.Sprintf("bpflab/portmodules/%02d-%s.ko", i, m.Name)
		entries = append(entries, initramfs.Entry{Name: name, Data: m.Data, Mode: 0o644})
		spec.PortModules = append(spec.PortModules, "/"+name)
	}
	mods, err := initramfs.ResolveModules(k.ModulesDir, job.Modules)
	if err != nil {
		return nil, &vm.PhaseError{Phase: "modules", Err: fmt.Errorf("kernel %s: %w", k.Name, err)}
	}
	for i, m := range mods {
		name := fmt.Sprintf("bpflab/modules/%02d-%s.ko", i, m.Name)
		entries = append(entries, initramfs.Entry{Name: name, Data: m.Data, Mode: 0o644})
		spec.Modules = append(spec.Modules, "/"+name)
	}
	for _, guestPath := range slices.Sorted(maps.Keys(job.Files)) { // sorted: a stable archive
		hostPath := job.Files[guestPath]
		if !filepath.IsAbs(guestPath) || filepath.Clean(guestPath) == "/" {
			return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("file %s: guest path %q must be absolute", hostPath, guestPath)}
		}
		if _, err := os.Stat(hostPath); err != nil {
			return nil, &vm.PhaseError{Phase: "prepare", Err: fmt.Errorf("file for guest %s: %w", guestPath, err)}
		}
		entries = append(entries, initramfs.Entry{Name: filepath.Clean(guestPath)[1:], Source: hostPath, Mode: 0o644})
	}
	autoload, err := resolveAutoload(k, job.Autoload)
	if err != nil {
		return nil, err
	}
	entries = append(entries, autoload.entries...)
	spec.Autoload = autoload.spec
	carried := map[string]bool{}
	var tools, left []string // the tools carried; those left behind, with why
	for _, tool := range job.Tools {
		if err := initramfs.CheckArch(tool, k.GoArch()); err != nil {
			// A host tool of another architecture cannot run there; the
			// scenarios that need it skip, saying why it was not carried.
			b.logf("qemu: %s: not carrying %s: %v", k.Name, tool, err)
			left = append(left, fmt.Sprintf("%s: a host binary for another architecture than the kernel's %s", filepath.Base(tool), k.GoArch()))
			continue
		}
		paths, err := initramfs.ToolClosure(tool)
		if err != nil {
			return nil, &vm.PhaseError{Phase: "prepare", Err: err}
		}
		tools = append(tools, tool)
		for _, p := range paths {
			if !carried[p] {
				carried[p] = true
				entries = append(entries, initramfs.Entry{Name: filepath.Clean(p)[1:], Source: p, Mode: 0o755})
			}
		}
	}
	if len(tools) > 0 { // a carried tool that is missing fails, never skips
		spec.Env = append(slices.Clone(spec.Env), probe.ToolsEnv(tools))
	}
	if len(left) > 0 {
		spec.Env = append(slices.Clone(spec.Env), probe.EnvToolsLeft+"="+strings.Join(left, ";"))
	}
	specJSON, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: err}
	}
	entries = append(entries, initramfs.Entry{Name: guest.SpecPath[1:], Data: specJSON, Mode: 0o644})
	initrd, err := initramfs.Build(filepath.Join(b.cacheDir(), "initramfs"), entries)
	if err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: err}
	}
	bt := &boot{kernel: k.Vmlinuz, initrd: initrd, machine: mach}
	if !b.NoPVH && mach.pvh {
		p, err := vmlinux.Cached(k.Vmlinuz, filepath.Join(b.cacheDir(), "vmlinux"))
		if err != nil {
			return nil, &vm.PhaseError{Phase: "prepare", Err: err}
		}
		if p != "" {
			bt.kernel, bt.pvh = p, true
		}
	}
	return bt, nil
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

func (b *Backend) cacheDir() string {
	if b.CacheDir != "" {
		return b.CacheDir
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "bpflab")
	}
	return filepath.Join(os.TempDir(), "bpflab-cache")
}

// autoloadSet is what Job.Autoload adds to the initramfs and the spec.
type autoloadSet struct {
	entries []initramfs.Entry
	spec    []guest.AutoloadModule
}

// resolveAutoload resolves the autoload modules with their dependencies; each .ko
// is carried once, under bpflab/autoload/.
func resolveAutoload(k *vm.Kernel, names []string) (autoloadSet, error) {
	var set autoloadSet
	carried := map[string]string{}
	for _, name := range names {
		mods, err := initramfs.ResolveModules(k.ModulesDir, []string{name})
		if err != nil {
			return set, &vm.PhaseError{Phase: "modules", Err: fmt.Errorf("kernel %s: autoload: %w", k.Name, err)}
		}
		if len(mods) == 0 {
			continue // built in
		}
		am := guest.AutoloadModule{Name: mods[len(mods)-1].Name, Aliases: mods[len(mods)-1].Aliases}
		for _, m := range mods {
			p, ok := carried[m.Name]
			if !ok {
				p = "bpflab/autoload/" + m.Name + ".ko"
				carried[m.Name] = p
				set.entries = append(set.entries, initramfs.Entry{Name: p, Data: m.Data, Mode: 0o644})
			}
			am.Paths = append(am.Paths, "/"+p)
		}
		set.spec = append(set.spec, am)
	}
	return set, nil
}
