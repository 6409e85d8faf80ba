package guard

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/kernelbtf"
	"github.com/bpflab/bpflab/internal/loaderr"
	"github.com/bpflab/bpflab/internal/objsign"
)

// Types shared with guard.bpf.c (bpf/include/guard.h).
type (
	Event     = guardGuardEvent
	ExeKey    = guardGuardExeKey
	ExeVal    = guardGuardExeVal
	ObjectKey = guardGuardObjectKey
	InodeKey  = guardGuardInodeKey
	Hook      = guardGuardHook
	Verdict   = guardGuardVerdict
	Reason    = guardGuardReason
)

// PathLen is the size of ExeVal.Path, NUL included.
const PathLen = len(ExeVal{}.Path)

const (
	HookBPF         = guardGuardHookGUARD_HOOK_BPF
	HookProgLoad    = guardGuardHookGUARD_HOOK_PROG_LOAD
	HookMapCreate   = guardGuardHookGUARD_HOOK_MAP_CREATE
	HookTokenCreate = guardGuardHookGUARD_HOOK_TOKEN_CREATE
	HookInode       = guardGuardHookGUARD_HOOK_INODE
	NumHooks        = int(guardGuardHookGUARD_HOOK_MAX)

	Allowed    = guardGuardVerdictGUARD_ALLOWED
	Denied     = guardGuardVerdictGUARD_DENIED
	OutOfScope = guardGuardVerdictGUARD_OUT_OF_SCOPE
	EventLost  = guardGuardVerdictGUARD_EVENT_LOST
	NumVerdict = int(guardGuardVerdictGUARD_VERDICT_MAX)

	ReasonUntrusted = guardGuardReasonGUARD_REASON_UNTRUSTED
	ReasonProtected = guardGuardReasonGUARD_REASON_PROTECTED

	OpUnlink = uint32(guardGuardOpGUARD_OP_UNLINK)
	OpRename = uint32(guardGuardOpGUARD_OP_RENAME)
	OpUmount = uint32(guardGuardOpGUARD_OP_UMOUNT)

	ObjProg = uint32(guardGuardObjectKindGUARD_OBJ_PROG)
	ObjMap  = uint32(guardGuardObjectKindGUARD_OBJ_MAP)
	ObjLink = uint32(guardGuardObjectKindGUARD_OBJ_LINK)
)

func (h Hook) String() string {
	switch h {
	case HookBPF:
		return "bpf"
	case HookProgLoad:
		return "bpf_prog_load"
	case HookMapCreate:
		return "bpf_map_create"
	case HookTokenCreate:
		return "bpf_token_create"
	case HookInode:
		return "pins"
	}
	return fmt.Sprintf("hook(%d)", uint32(h))
}

func (r Reason) String() string {
	switch r {
	case ReasonUntrusted:
		return "untrusted loader"
	case ReasonProtected:
		return "touches the guard's own objects"
	}
	return fmt.Sprintf("reason(%d)", uint32(r))
}

// Program is one LSM program of the guard and the kernel hook it attaches
// to (the BTF function bpf_lsm_<Hook> must exist).
type Program struct {
	Name string // program name in guard.bpf.c, also its link's pin name
	Hook string // LSM hook
	// Required programs attach on every kernel 5.10+; the others only where
	// the hook exists.
	Required bool
}

// Programs lists the guard's programs in attach order: the bpf command
// hook first, so the object and pin hooks never run without it.
func Programs() []Program {
	return []Program{
		{guardProgGuardBpf, "bpf", true},
		{guardProgGuardProgLoad, "bpf_prog_load", false},
		{guardProgGuardMapCreate, "bpf_map_create", false},
		{guardProgGuardTokenCreate, "bpf_token_create", false},
		{guardProgGuardInodeUnlink, "inode_unlink", true},
		{guardProgGuardInodeRename, "inode_rename", true},
		{guardProgGuardSbUmount, "sb_umount", true},
	}
}

// KernelHooks returns the programs whose LSM hook the running kernel has,
// found in its BTF (bpf_lsm_<hook>), and the optional ones it lacks.
func KernelHooks() (have []Program, missing []Program, err error) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return nil, nil, fmt.Errorf("guard: read kernel BTF: %w", err)
	}
	for _, p := range Programs() {
		var fn *btf.Func
		switch err := spec.TypeByName("bpf_lsm_"+p.Hook, &fn); {
		case err == nil:
			have = append(have, p)
		case errors.Is(err, btf.ErrNotFound) && !p.Required:
			missing = append(missing, p)
		case errors.Is(err, btf.ErrNotFound):
			return nil, nil, fmt.Errorf("guard: kernel BTF has no bpf_lsm_%s: this kernel has no BPF LSM hook %s", p.Hook, p.Hook)
		default:
			return nil, nil, fmt.Errorf("guard: look up bpf_lsm_%s: %w", p.Hook, err)
		}
	}
	return have, missing, nil
}

// Options configure Load.
type Options struct {
	// ScopeCgroupID limits enforcement to one cgroup v2 subtree; 0 is the
	// whole system.
	ScopeCgroupID uint64
	// Signing selects the object and the keys it must be signed by.
	Signing objsign.Signing
}

// Objects is a loaded, not yet attached guard.
type Objects struct {
	Programs map[string]*ebpf.Program // by Program.Name, only the kernel's hooks
	Hooks    []Program                // what Programs holds, in attach order
	Maps     map[string]*ebpf.Map     // by map name in guard.bpf.c
}

// Map names, for pins and lookups.
const (
	MapTrustedExes      = guardMapTrustedExes
	MapTrustedCgroups   = guardMapTrustedCgroups
	MapProtectedObjects = guardMapProtectedObjects
	MapProtectedInodes  = guardMapProtectedInodes
	MapCounters         = guardMapCounters
	MapEvents           = guardMapEvents
)

// Load loads the programs for the hooks this kernel has and the maps.
func Load(opts Options) (*Objects, error) {
	have, _, err := KernelHooks()
	if err != nil {
		return nil, err
	}
	spec, err := opts.Signing.LoadSpec(EmbeddedObject())
	if err != nil {
		return nil, fmt.Errorf("load guard spec: %w", err)
	}
	if err := spec.Variables[guardVarScopeCgroupId].Set(opts.ScopeCgroupID); err != nil {
		return nil, fmt.Errorf("set scope_cgroup_id: %w", err)
	}
	keep := map[string]bool{}
	for _, p := range have {
		keep[p.Name] = true
	}
	for name := range spec.Programs {
		if !keep[name] {
			delete(spec.Programs, name)
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Cache: kernelbtf.Cache()})
	if err != nil {
		return nil, loaderr.Wrap("load guard", err)
	}
	o := &Objects{Programs: map[string]*ebpf.Program{}, Hooks: have, Maps: map[string]*ebpf.Map{}}
	for _, p := range have {
		o.Programs[p.Name] = coll.DetachProgram(p.Name)
	}
	for name := range spec.Maps {
		if m := coll.DetachMap(name); m != nil {
			o.Maps[name] = m
		}
	}
	coll.Close()
	return o, nil
}

// Attach attaches every loaded program to its LSM hook, in order; on error
// it detaches what it attached.
func (o *Objects) Attach() ([]link.Link, error) {
	var links []link.Link
	for _, p := range o.Hooks {
		l, err := link.AttachLSM(link.LSMOptions{Program: o.Programs[p.Name]})
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			return nil, fmt.Errorf("attach guard program %s to lsm/%s: %w", p.Name, p.Hook, err)
		}
		links = append(links, l)
	}
	return links, nil
}

// Close releases the programs and maps (pinned ones stay in the kernel).
func (o *Objects) Close() error {
	var errs []error
	for _, p := range o.Programs {
		errs = append(errs, p.Close())
	}
	for _, m := range o.Maps {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// ScopeOffset is where scope_cgroup_id lives in the program's .rodata, so
// status can read back the scope the kernel enforces.
func ScopeOffset() (uint64, error) {
	spec, err := loadGuard()
	if err != nil {
		return 0, fmt.Errorf("guard spec: %w", err)
	}
	v, ok := spec.Variables[guardVarScopeCgroupId]
	if !ok {
		return 0, errors.New("guard spec has no scope_cgroup_id")
	}
	return uint64(v.Offset), nil
}

// ProbeLSM loads (without attaching) a trivial LSM program on lsm/bpf: some
// kernels refuse every BPF LSM or fentry program load (EPERM) even with all
// capabilities and the bpf LSM listed as active, e.g. a hardened host that
// keeps BPF trampolines off. The error says what the kernel answered.
func ProbeLSM() error {
	if err := HasLSMHooks(); err != nil {
		return err
	}
	p, err := ebpf.NewProgramWithOptions(&ebpf.ProgramSpec{
		Name: "guard_probe", Type: ebpf.LSM, AttachType: ebpf.AttachLSMMac, AttachTo: "bpf", License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	}, ebpf.ProgramOptions{})
	if errors.Is(err, unix.EPERM) {
		// cilium/ebpf adds a memlock hint to EPERM; the callers have
		// removed the memlock limit, so say what is left instead.
		return fmt.Errorf("the kernel refused a trivial lsm/bpf program with EPERM (BPF LSM and fentry program loads are off in this kernel, whatever the capabilities): %w", unix.EPERM)
	}
	if err != nil {
		return fmt.Errorf("load a trivial lsm/bpf program: %w", err)
	}
	defer p.Close()
	// Loading is not attaching: an LSM program runs through a BPF
	// trampoline, which some architectures' JITs lack for LSM hooks (arm64
	// in 6.1 loads the program and then answers ENOTSUPP). The probe
	// program returns 0, so attaching it for a moment allows everything.
	l, err := link.AttachLSM(link.LSMOptions{Program: p})
	if err != nil {
		return fmt.Errorf("%w: attach a trivial lsm/bpf program: %w", ErrNoLSMAttach, err)
	}
	return l.Close()
}

// ErrNoLSMHooks: the kernel is built without CONFIG_BPF_LSM (its BTF has
// no bpf_lsm_* hooks), so no BPF LSM program can exist there.
var ErrNoLSMHooks = errors.New("kernel built without BPF LSM hooks (CONFIG_BPF_LSM)")

// ErrNoLSMAttach: the kernel loads LSM programs but cannot attach them
// (no BPF trampoline for LSM hooks on this architecture).
var ErrNoLSMAttach = errors.New("kernel cannot attach BPF LSM programs")

// HasLSMHooks reports whether the kernel's BTF has the guard's required
// hook (bpf_lsm_bpf); without it the kernel has no BPF LSM at all.
func HasLSMHooks() error {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return fmt.Errorf("guard: read kernel BTF: %w", err)
	}
	var fn *btf.Func
	if err := spec.TypeByName("bpf_lsm_bpf", &fn); errors.Is(err, btf.ErrNotFound) {
		return fmt.Errorf("%w: kernel BTF has no bpf_lsm_bpf", ErrNoLSMHooks)
	} else if err != nil {
		return fmt.Errorf("guard: kernel BTF: %w", err)
	}
	return nil
}
