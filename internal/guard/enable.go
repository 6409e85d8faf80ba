package guard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	bpfguard "github.com/bpflab/bpflab/bpf/guard"
)

// DefaultPinDir is where `bpflab guard enable` pins the guard.
const DefaultPinDir = "/sys/fs/bpf/bpflab/guard"

// Config is what Enable enforces.
type Config struct {
	PinDir string // default DefaultPinDir
	Scope  Scope
	// Trust lists loader binaries; the running executable (bpflab) is
	// always trusted, so the guard can be inspected and disabled.
	Trust []string
	// TrustCgroups lists cgroup v2 directories whose processes (and their
	// descendants' cgroups) are trusted whatever they run.
	TrustCgroups []string
}

func (c Config) pinDir() string {
	if c.PinDir == "" {
		return DefaultPinDir
	}
	return c.PinDir
}

// Enabled reports whether a guard is pinned in dir.
func Enabled(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, linkPin(bpfguard.Programs()[0])))
	return err == nil
}

func linkPin(p bpfguard.Program) string { return "link_" + p.Hook }

// Enable checks everything it was given, then loads, fills, attaches and
// pins the guard. Bad input changes nothing; a failure half way undoes
// what was done.
func Enable(cfg Config) (*Status, error) {
	dir := cfg.pinDir()
	if err := RequireBPFLSM(); err != nil {
		return nil, err
	}
	if err := bpfguard.ProbeLSM(); err != nil {
		return nil, fmt.Errorf("this kernel lists the bpf LSM as active but refuses BPF LSM programs: %w (%w: nothing was changed)", err, ErrBadInput)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	var exes []Exe
	for _, p := range append([]string{self}, cfg.Trust...) {
		e, err := Identify(p)
		if err != nil {
			return nil, err
		}
		exes = append(exes, e)
	}
	var cgroups []uint64
	for _, p := range cfg.TrustCgroups {
		_, id, err := CgroupDir(p)
		if err != nil {
			return nil, fmt.Errorf("trust cgroup: %w", err)
		}
		cgroups = append(cgroups, id)
	}
	if err := onBPFFS(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	if Enabled(dir) {
		return nil, fmt.Errorf("a guard is already enabled at %s: run `bpflab guard disable` first (%w)", dir, ErrBadInput)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s holds pins of an incomplete guard: remove them, then enable again (%w)", dir, ErrBadInput)
	}

	objs, err := bpfguard.Load(bpfguard.Options{ScopeCgroupID: cfg.Scope.CgroupID})
	if err != nil {
		return nil, err
	}
	defer objs.Close()
	if err := fill(objs, exes, cgroups); err != nil {
		return nil, err
	}
	links, err := objs.Attach()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, l := range links {
			l.Close() // the pins keep them attached
		}
	}()
	if err := protect(objs, links); err != nil {
		return nil, err
	}
	if err := selfCheck(dir); err != nil {
		return nil, err // the deferred Close detaches: nothing stays attached
	}
	if err := pinAll(dir, objs, links); err != nil {
		return nil, errors.Join(err, unpinAll(dir))
	}
	return ReadStatus(dir)
}

// selfCheck asks the now attached guard to judge this process with a gated
// command that cannot succeed (BPF_OBJ_GET of a missing path): ENOENT means
// the guard let it through. EPERM means the kernel does not see this binary
// as the file Enable identified (e.g. a file system whose stat device is not
// the kernel's s_dev, such as btrfs subvolumes or some overlay setups), and
// going on would lock bpflab out of its own guard.
func selfCheck(dir string) error {
	path := []byte(filepath.Join(dir, "selfcheck-missing") + "\x00")
	attr := struct {
		pathname  uint64
		bpfFD     uint32
		fileFlags uint32
	}{pathname: uint64(uintptr(unsafe.Pointer(&path[0])))}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_GET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(path)
	switch errno {
	case 0:
		unix.Close(int(fd))
		return fmt.Errorf("guard self-check: %s exists; pick an empty pin directory", path[:len(path)-1])
	case unix.ENOENT:
		return nil
	case unix.EPERM:
		return fmt.Errorf("guard self-check: the attached guard refuses this very bpflab (the kernel's identity of the running executable differs from what stat reported); detached again, nothing changed")
	}
	return fmt.Errorf("guard self-check: BPF_OBJ_GET of a missing path: %w", errno)
}

func fill(o *bpfguard.Objects, exes []Exe, cgroups []uint64) error {
	for _, e := range exes {
		if err := o.Maps[bpfguard.MapTrustedExes].Put(e.Key, e.Value()); err != nil {
			return fmt.Errorf("trust %s: %w", e.Path, err)
		}
	}
	for _, id := range cgroups {
		if err := o.Maps[bpfguard.MapTrustedCgroups].Put(id, uint8(1)); err != nil {
			return fmt.Errorf("trust cgroup %d: %w", id, err)
		}
	}
	return nil
}

// protect records the ids of the guard's programs, maps (the prog's map
// list includes .rodata/.bss) and links: untrusted callers may not open
// them by id.
func protect(o *bpfguard.Objects, links []link.Link) error {
	m := o.Maps[bpfguard.MapProtectedObjects]
	put := func(kind, id uint32) error {
		return m.Put(bpfguard.ObjectKey{Kind: kind, Id: id}, uint8(1))
	}
	for name, p := range o.Programs {
		info, err := p.Info()
		if err != nil {
			return fmt.Errorf("guard program %s info: %w", name, err)
		}
		id, _ := info.ID()
		if err := put(bpfguard.ObjProg, uint32(id)); err != nil {
			return err
		}
		maps, _ := info.MapIDs()
		for _, mid := range maps {
			if err := put(bpfguard.ObjMap, uint32(mid)); err != nil {
				return err
			}
		}
	}
	for name, mp := range o.Maps {
		info, err := mp.Info()
		if err != nil {
			return fmt.Errorf("guard map %s info: %w", name, err)
		}
		id, _ := info.ID()
		if err := put(bpfguard.ObjMap, uint32(id)); err != nil {
			return err
		}
	}
	for _, l := range links {
		info, err := l.Info()
		if err != nil {
			return fmt.Errorf("guard link info: %w", err)
		}
		if err := put(bpfguard.ObjLink, uint32(info.ID)); err != nil {
			return err
		}
	}
	return nil
}

func pinAll(dir string, o *bpfguard.Objects, links []link.Link) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create pin directory: %w", err)
	}
	for i, p := range o.Hooks {
		if err := links[i].Pin(filepath.Join(dir, linkPin(p))); err != nil {
			return fmt.Errorf("pin guard link %s: %w", p.Hook, err)
		}
	}
	for name, m := range o.Maps {
		if strings.HasPrefix(name, ".") {
			continue // .rodata/.bss: bpffs refuses dotted names, and nothing needs them pinned
		}
		if err := m.Pin(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("pin guard map %s: %w", name, err)
		}
	}
	// Protect the pins, the directory and the bpffs holding them (ino 0).
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list pins: %w", err)
	}
	paths := []string{dir}
	for _, e := range entries {
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	pm := o.Maps[bpfguard.MapProtectedInodes]
	for _, p := range paths {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			return fmt.Errorf("stat pin %s: %w", p, err)
		}
		dev := KernelDev(st.Dev)
		if err := pm.Put(bpfguard.InodeKey{Ino: st.Ino, Dev: dev}, uint8(1)); err != nil {
			return fmt.Errorf("protect pin %s: %w", p, err)
		}
		if err := pm.Put(bpfguard.InodeKey{Dev: dev}, uint8(1)); err != nil {
			return fmt.Errorf("protect bpffs of %s: %w", p, err)
		}
	}
	return nil
}

// unpinAll removes dir's pins and dir; links and maps whose last
// reference was a pin go away.
func unpinAll(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list pins in %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("unpin: %w", err))
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove pin directory: %w", err))
	}
	return errors.Join(errs...)
}

func onBPFFS(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		var sfs unix.Statfs_t
		err := unix.Statfs(d, &sfs)
		if errors.Is(err, unix.ENOENT) && d != "/" {
			continue // created below the bpffs mount
		}
		if err != nil {
			return fmt.Errorf("pin directory %s: %w", dir, err)
		}
		if sfs.Type != unix.BPF_FS_MAGIC {
			return fmt.Errorf("pin directory %s is not on a bpf filesystem (%w: mount -t bpf bpf /sys/fs/bpf)", dir, ErrBadInput)
		}
		return nil
	}
}

// Disable detaches and unpins the guard in dir. Opening the pinned links is
// a gated command and unpinning is guarded: an untrusted caller is refused
// by the kernel before anything changes.
func Disable(dir string) error {
	if dir == "" {
		dir = DefaultPinDir
	}
	if !Enabled(dir) {
		return fmt.Errorf("no guard is enabled at %s (%w)", dir, ErrBadInput)
	}
	var links []link.Link
	defer func() {
		for _, l := range links {
			l.Close()
		}
	}()
	for _, p := range bpfguard.Programs() {
		l, err := link.LoadPinnedLink(filepath.Join(dir, linkPin(p)), &ebpf.LoadPinOptions{})
		if errors.Is(err, os.ErrNotExist) {
			continue // a hook this kernel lacks
		}
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("disable guard at %s: refused by the guard (%w): this process's executable is not trusted; run the bpflab that enabled it, or one passed with --trust", dir, err)
		}
		if err != nil {
			return fmt.Errorf("disable guard: open link %s: %w", p.Hook, err)
		}
		links = append(links, l)
	}
	if err := unpinAll(dir); err != nil {
		return fmt.Errorf("disable guard at %s: %w", dir, err)
	}
	return nil
}
