package firewall

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Options configure Load.
type Options struct {
	// PinDir, when set, is a bpffs directory where the maps are pinned by
	// name. Maps already pinned there are reused: that is the live set.
	PinDir string
	// Signing selects the object and the keys it must be signed by.
	Signing Signing
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

// Firewall is a loaded XDP firewall with its blocklists and counters.
type Firewall struct {
	objs    firewallObjects
	innerV4 *ebpf.MapSpec
	innerV6 *ebpf.MapSpec
	pinDir  string
	link    link.Link
	ifindex int
}

// Load loads the program and its maps into the kernel. The caller must
// Close the Firewall. Verifier errors carry the full log; print them with
// %+v.
func Load(opts Options) (*Firewall, error) {
	spec, err := opts.Signing.loadSpec()
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
		for _, name := range []string{firewallMapBlocklistV4, firewallMapBlocklistV6, firewallMapStats} {
			spec.Maps[name].Pinning = ebpf.PinByName
		}
		copts.Maps.PinPath = opts.PinDir
	}
	fw := &Firewall{
		innerV4: spec.Maps[firewallMapBlocklistV4].InnerMap.Copy(),
		innerV6: spec.Maps[firewallMapBlocklistV6].InnerMap.Copy(),
		pinDir:  opts.PinDir,
	}
	if err := spec.LoadAndAssign(&fw.objs, &copts); err != nil {
		if errors.Is(err, ebpf.ErrMapIncompatible) {
			return nil, fmt.Errorf("load firewall: maps pinned in %s were made by a different firewall version; remove them (rm %s/blocklist_v4 %s/blocklist_v6 %s/stats) to start with an empty set: %w",
				opts.PinDir, opts.PinDir, opts.PinDir, opts.PinDir, err)
		}
		return nil, wrapLoadError(fmt.Sprintf("load firewall (pin dir %q)", opts.PinDir), err)
	}
	// A fresh outer map has an empty slot; a reused pinned one already
	// holds the live trie, which must be kept.
	if err := fw.ensureInner(fw.objs.BlocklistV4, fw.innerV4); err != nil {
		fw.Close()
		return nil, err
	}
	if err := fw.ensureInner(fw.objs.BlocklistV6, fw.innerV6); err != nil {
		fw.Close()
		return nil, err
	}
	return fw, nil
}

func (fw *Firewall) ensureInner(outer *ebpf.Map, spec *ebpf.MapSpec) error {
	inner, err := currentInner(outer)
	if err == nil {
		return inner.Close()
	}
	if !errors.Is(err, ebpf.ErrKeyNotExist) {
		return err
	}
	fresh, err := ebpf.NewMap(spec)
	if err != nil {
		return fmt.Errorf("create inner map for %s: %w", outer, err)
	}
	defer fresh.Close()
	// Fd arrays accept only BPF_ANY, so two loaders racing on one fresh
	// pinned set may both install an (empty) trie; the last one wins.
	if err := outer.Update(uint32(0), fresh, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("install inner map in %s: %w", outer, err)
	}
	return nil
}

// Program returns the XDP program, owned by the Firewall.
func (fw *Firewall) Program() *ebpf.Program { return fw.objs.XdpFirewall }

// Attach attaches the program to the interface with the given index.
func (fw *Firewall) Attach(ifindex int, mode Mode) error {
	if ifindex <= 0 {
		return fmt.Errorf("attach firewall: invalid interface index %d (look it up with net.InterfaceByName)", ifindex)
	}
	if fw.link != nil {
		return fmt.Errorf("attach firewall to ifindex %d: already attached to ifindex %d; Detach first", ifindex, fw.ifindex)
	}
	flags, err := mode.flags()
	if err != nil {
		return fmt.Errorf("attach firewall to ifindex %d: %w", ifindex, err)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: fw.objs.XdpFirewall, Interface: ifindex, Flags: flags})
	if err != nil {
		return fmt.Errorf("attach firewall to ifindex %d in %s mode: %w", ifindex, mode, err)
	}
	fw.link, fw.ifindex = l, ifindex
	return nil
}

// Attached reports whether the program is attached to an interface.
func (fw *Firewall) Attached() bool { return fw.link != nil }

// Detach removes the program from its interface. Detaching a firewall that
// is not attached does nothing.
func (fw *Firewall) Detach() error {
	if fw.link == nil {
		return nil
	}
	err := fw.link.Close()
	fw.link, fw.ifindex = nil, 0
	if err != nil {
		return fmt.Errorf("detach firewall: %w", err)
	}
	return nil
}

// Unpin removes the map pins from PinDir, so the next Load starts with an
// empty set. The maps live on while this Firewall holds them.
func (fw *Firewall) Unpin() error {
	var errs []error
	for _, m := range []*ebpf.Map{fw.objs.BlocklistV4, fw.objs.BlocklistV6, fw.objs.Stats} {
		if m != nil {
			if err := m.Unpin(); err != nil {
				errs = append(errs, fmt.Errorf("unpin %s: %w", m, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Close detaches the program and releases the kernel objects held by this
// Firewall. Pinned maps stay pinned.
func (fw *Firewall) Close() error {
	errs := []error{fw.Detach()}
	if err := fw.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close firewall objects: %w", err))
	}
	return errors.Join(errs...)
}
