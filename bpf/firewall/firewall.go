package firewall

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/bpflab/bpflab/internal/kernelbtf"
	"github.com/bpflab/bpflab/internal/loaderr"
)

// Options configure Load.
type Options struct {
	// PinDir, when set, is a bpffs directory where the maps are pinned by
	// name. Maps already pinned there are reused: that is the live set.
	PinDir string
	// Signing selects the object and the keys it must be signed by.
	Signing Signing
	// LockTimeout bounds how long a writer waits for another process
	// editing the same pin dir; zero means DefaultLockTimeout.
	LockTimeout time.Duration
}

// Mode selects how the program is attached to an interface.
type Mode int

const (
	// ModeAuto lets the kernel pick: native (driver) XDP where the driver
	// supports it, generic XDP otherwise.
	ModeAuto Mode = iota
	// ModeNative requires driver XDP.
	ModeNative
	// ModeGeneric uses the generic (skb) XDP hook, available on every device.
	ModeGeneric
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

func (m Mode) flags() (link.XDPAttachFlags, error) {
	switch m {
	case ModeAuto:
		return 0, nil
	case ModeNative:
		return link.XDPDriverMode, nil
	case ModeGeneric:
		return link.XDPGenericMode, nil
	}
	return 0, fmt.Errorf("unknown XDP mode %d: use ModeAuto, ModeNative or ModeGeneric", int(m))
}

// family is an address family's blocklist: single hosts in a hash map,
// other prefixes in an LPM trie.
type family struct {
	hosts, trie part
}

// Firewall is a loaded XDP firewall with its blocklists and counters.
type Firewall struct {
	objs        firewallObjects
	v4, v6      family
	pinDir      string
	lockTimeout time.Duration
	att         attachment
}

// Load loads the program and its maps into the kernel. The caller must
// Close the Firewall. Verifier errors carry the full log; print them with
// %+v.
func Load(opts Options) (*Firewall, error) {
	spec, err := opts.Signing.LoadSpec(EmbeddedObject())
	if err != nil {
		return nil, fmt.Errorf("load firewall spec: %w", err)
	}
	var copts ebpf.CollectionOptions
	if opts.PinDir != "" {
		st, err := os.Stat(opts.PinDir)
		if err != nil {
			return nil, fmt.Errorf("pin dir %s: %w (create it inside a mounted bpffs)", opts.PinDir, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("pin dir %s is not a directory", opts.PinDir)
		}
		for _, name := range pinnedMaps {
			spec.Maps[name].Pinning = ebpf.PinByName
		}
		copts.Maps.PinPath = opts.PinDir
	}
	fw := newFirewall(spec, opts)
	copts.Cache = kernelbtf.Cache()
	if err := spec.LoadAndAssign(&fw.objs, &copts); err != nil {
		if errors.Is(err, ebpf.ErrMapIncompatible) {
			return nil, fmt.Errorf("load firewall: maps pinned in %s were made by a different firewall version; remove them (rm %s/blocklist_* %s/hosts_* %s/active %s/stats) to start with an empty set: %w",
				opts.PinDir, opts.PinDir, opts.PinDir, opts.PinDir, opts.PinDir, err)
		}
		return nil, loaderr.Wrap(fmt.Sprintf("load firewall (pin dir %q)", opts.PinDir), err)
	}
	if err := fw.ensureInner(); err != nil {
		fw.Close()
		return nil, err
	}
	return fw, nil
}

func newFirewall(spec *ebpf.CollectionSpec, opts Options) *Firewall {
	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = DefaultLockTimeout
	}
	p := func(name string) part { return part{name: name, spec: spec.Maps[name].InnerMap.Copy()} }
	return &Firewall{
		v4:          family{hosts: p(firewallMapHostsV4), trie: p(firewallMapBlocklistV4)},
		v6:          family{hosts: p(firewallMapHostsV6), trie: p(firewallMapBlocklistV6)},
		pinDir:      opts.PinDir,
		lockTimeout: timeout,
	}
}

// pinnedMaps are the maps shared through the pin dir.
var pinnedMaps = []string{firewallMapBlocklistV4, firewallMapBlocklistV6, firewallMapHostsV4, firewallMapHostsV6,
	firewallMapActive, firewallMapStats}

func (fw *Firewall) setOuter() {
	fw.v4.hosts.outer, fw.v4.trie.outer = fw.objs.HostsV4, fw.objs.BlocklistV4
	fw.v6.hosts.outer, fw.v6.trie.outer = fw.objs.HostsV6, fw.objs.BlocklistV6
}

// ensureInner gives empty slots their maps and pins the live ones, under
// the writer lock so two loaders of one fresh pin dir agree on one set.
func (fw *Firewall) ensureInner() error {
	fw.setOuter()
	unlock, err := lockPinDir(fw.pinDir, fw.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	gen, err := fw.generation()
	if err != nil {
		return err
	}
	for _, p := range fw.parts() {
		if err := p.ensure(fw.pinDir, gen); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotPinned means the pin dir holds no firewall maps.
var ErrNotPinned = errors.New("no firewall is pinned there")

// Open opens the maps of the firewall pinned in opts.PinDir, without
// loading the program: what a policy process needs (CAP_BPF and read/write
// access to the pins). It changes nothing.
func Open(opts Options) (*Firewall, error) {
	if opts.PinDir == "" {
		return nil, errors.New("open firewall: needs a pin dir")
	}
	spec, err := opts.Signing.LoadSpec(EmbeddedObject())
	if err != nil {
		return nil, fmt.Errorf("load firewall spec: %w", err)
	}
	fw := newFirewall(spec, opts)
	maps := []struct {
		name string
		dst  **ebpf.Map
	}{
		{firewallMapBlocklistV4, &fw.objs.BlocklistV4},
		{firewallMapBlocklistV6, &fw.objs.BlocklistV6},
		{firewallMapHostsV4, &fw.objs.HostsV4},
		{firewallMapHostsV6, &fw.objs.HostsV6},
		{firewallMapActive, &fw.objs.Active},
		{firewallMapStats, &fw.objs.Stats},
	}
	for i, m := range maps {
		path := filepath.Join(opts.PinDir, m.name)
		pinned, err := ebpf.LoadPinnedMap(path, nil)
		if errors.Is(err, os.ErrNotExist) && i > 0 {
			fw.Close()
			return nil, fmt.Errorf("open %s: the pins in %s were made by a different firewall version (no %s); detach and attach again", path, opts.PinDir, m.name)
		}
		if errors.Is(err, os.ErrNotExist) {
			fw.Close()
			return nil, fmt.Errorf("open %s: %w", path, ErrNotPinned)
		}
		if err != nil {
			fw.Close()
			return nil, fmt.Errorf("open pinned map %s: %w", path, err)
		}
		if err := spec.Maps[m.name].Compatible(pinned); err != nil {
			pinned.Close()
			fw.Close()
			return nil, fmt.Errorf("pinned map %s was made by a different firewall version: %w", path, err)
		}
		*m.dst = pinned
	}
	fw.setOuter()
	return fw, nil
}

// PinDir returns the bpffs directory of this firewall ("" if unpinned).
func (fw *Firewall) PinDir() string { return fw.pinDir }

// Program returns the XDP program, owned by the Firewall.
func (fw *Firewall) Program() *ebpf.Program { return fw.objs.XdpFirewall }

// Unpin removes the map pins from PinDir, so the next Load starts with an
// empty set. The maps live on while this Firewall holds them.
func (fw *Firewall) Unpin() error {
	var errs []error
	for _, m := range []*ebpf.Map{fw.objs.BlocklistV4, fw.objs.BlocklistV6, fw.objs.HostsV4, fw.objs.HostsV6, fw.objs.Active, fw.objs.Stats} {
		if m != nil {
			if err := m.Unpin(); err != nil {
				errs = append(errs, fmt.Errorf("unpin %s: %w", m, err))
			}
		}
	}
	if fw.pinDir != "" {
		for _, p := range fw.parts() {
			if err := os.Remove(p.livePin(fw.pinDir)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("unpin live %s: %w", p.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Close detaches the program and releases the kernel objects held by this
// Firewall. Pinned maps stay pinned.
func (fw *Firewall) Close() error {
	errs := []error{fw.release()}
	for _, p := range fw.parts() {
		errs = append(errs, p.close())
	}
	if err := fw.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close firewall objects: %w", err))
	}
	return errors.Join(errs...)
}
