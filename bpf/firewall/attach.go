package firewall

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Pin names in PinDir besides the maps: the XDP program and, where the
// kernel has XDP links (>= 5.9), the link that keeps it attached.
const (
	ProgPin = "prog"
	LinkPin = "link"
)

// IFLA_XDP_ATTACHED values (uapi if_link.h).
const (
	xdpAttachedDrv = 1
	xdpAttachedSKB = 2
)

// attachment is how the program sits on an interface: through a BPF link,
// or through netlink on kernels without XDP links.
type attachment struct {
	link    link.Link // nil with netlink
	ifindex int
	flags   link.XDPAttachFlags
	netlink bool
	pinned  bool // outlives this process: Close must not detach
}

// Attach attaches the program to the interface with the given index, in
// the calling thread's network namespace. It uses a BPF link and falls back
// to netlink on kernels without XDP links (< 5.9).
func (fw *Firewall) Attach(ifindex int, mode Mode) error {
	if ifindex <= 0 {
		return fmt.Errorf("attach firewall: invalid interface index %d (look it up with net.InterfaceByName)", ifindex)
	}
	if fw.Attached() {
		return fmt.Errorf("attach firewall to ifindex %d: already attached to ifindex %d; Detach first", ifindex, fw.att.ifindex)
	}
	if fw.objs.XdpFirewall == nil {
		return errors.New("attach firewall: this handle has no program (opened from pins); use Load")
	}
	flags, err := mode.flags()
	if err != nil {
		return fmt.Errorf("attach firewall to ifindex %d: %w", ifindex, err)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: fw.objs.XdpFirewall, Interface: ifindex, Flags: flags})
	if err == nil {
		fw.att = attachment{link: l, ifindex: ifindex, flags: flags}
		return nil
	}
	if !errors.Is(err, ebpf.ErrNotSupported) {
		return fmt.Errorf("attach firewall to ifindex %d in %s mode: %w", ifindex, mode, err)
	}
	if err := netlinkAttach(ifindex, fw.objs.XdpFirewall.FD(), flags); err != nil {
		return fmt.Errorf("attach firewall to ifindex %d in %s mode (netlink, no XDP links on this kernel): %w", ifindex, mode, err)
	}
	fw.att = attachment{ifindex: ifindex, flags: flags, netlink: true}
	return nil
}

func netlinkAttach(ifindex, fd int, flags link.XDPAttachFlags) error {
	nl, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return fmt.Errorf("find ifindex %d: %w", ifindex, err)
	}
	// XDP_FLAGS_UPDATE_IF_NOEXIST: never replace someone else's program.
	return netlink.LinkSetXdpFdWithFlags(nl, fd, int(flags)|unix.XDP_FLAGS_UPDATE_IF_NOEXIST)
}

// Attached reports whether the program is attached through this handle.
func (fw *Firewall) Attached() bool { return fw.att.ifindex != 0 }

// UsesLink reports whether the attachment is a BPF link (false: netlink).
func (fw *Firewall) UsesLink() bool { return fw.att.link != nil }

// PinAttachment pins the program and its link (if any) in PinDir, so the
// firewall stays attached after this process exits; Close then leaves it
// attached and DetachPinned removes it.
func (fw *Firewall) PinAttachment() error {
	if fw.pinDir == "" || !fw.Attached() {
		return errors.New("pin attachment: needs a pin dir and an attached firewall")
	}
	progPath := filepath.Join(fw.pinDir, ProgPin)
	if err := fw.objs.XdpFirewall.Pin(progPath); err != nil {
		return fmt.Errorf("pin program at %s: %w", progPath, err)
	}
	if fw.att.link != nil {
		linkPath := filepath.Join(fw.pinDir, LinkPin)
		if err := fw.att.link.Pin(linkPath); err != nil {
			fw.objs.XdpFirewall.Unpin()
			return fmt.Errorf("pin XDP link at %s: %w", linkPath, err)
		}
	}
	fw.att.pinned = true
	return nil
}

// Detach removes the program from its interface, also a pinned
// attachment. Detaching a firewall that is not attached does nothing.
func (fw *Firewall) Detach() error {
	if !fw.Attached() {
		return nil
	}
	att := fw.att
	fw.att = attachment{}
	if att.pinned {
		return detachPins(fw.pinDir, att.ifindex)
	}
	if att.link != nil {
		derr := att.link.Detach()
		if errors.Is(derr, ebpf.ErrNotSupported) {
			derr = nil
		}
		if err := errors.Join(derr, att.link.Close()); err != nil {
			return fmt.Errorf("detach firewall: %w", err)
		}
		return nil
	}
	return netlinkDetach(att.ifindex, fw.objs.XdpFirewall, att.flags)
}

// release forgets a pinned attachment without detaching it.
func (fw *Firewall) release() error {
	if !fw.att.pinned {
		return fw.Detach()
	}
	var err error
	if fw.att.link != nil {
		err = fw.att.link.Close()
	}
	fw.att = attachment{}
	return err
}

// netlinkDetach removes the XDP program from ifindex if it is ours.
func netlinkDetach(ifindex int, prog *ebpf.Program, flags link.XDPAttachFlags) error {
	nl, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return fmt.Errorf("detach firewall: find ifindex %d: %w", ifindex, err)
	}
	if x := nl.Attrs().Xdp; x == nil || !x.Attached {
		return nil
	} else if prog != nil {
		info, err := prog.Info()
		if err != nil {
			return fmt.Errorf("detach firewall: program info: %w", err)
		}
		if id, _ := info.ID(); uint32(id) != x.ProgId {
			return fmt.Errorf("detach firewall: ifindex %d runs XDP program %d, not ours (%d); leaving it", ifindex, x.ProgId, id)
		}
	}
	if x := nl.Attrs().Xdp; x.AttachMode == xdpAttachedSKB {
		flags = link.XDPGenericMode
	} else if x.AttachMode == xdpAttachedDrv {
		flags = link.XDPDriverMode
	}
	if err := netlink.LinkSetXdpFdWithFlags(nl, -1, int(flags)); err != nil {
		return fmt.Errorf("detach firewall from ifindex %d (netlink): %w", ifindex, err)
	}
	return nil
}

// detachPins detaches a pinned attachment. The link is detached explicitly
// (BPF_LINK_DETACH) because unpinning alone drops the last reference only
// when bpffs frees the inode, after an RCU grace period on 5.10, so the
// program would still run for a moment after "detached". Without a link
// the program is removed through netlink.
func detachPins(pinDir string, ifindex int) error {
	linkPath := filepath.Join(pinDir, LinkPin)
	progPath := filepath.Join(pinDir, ProgPin)
	l, err := link.LoadPinnedLink(linkPath, nil)
	switch {
	case err == nil:
		derr := l.Detach()
		if errors.Is(derr, ebpf.ErrNotSupported) {
			derr = nil // pre-5.9 cannot pin XDP links anyway; closing is the detach
		}
		uerr := l.Unpin()
		cerr := l.Close()
		if err := errors.Join(derr, uerr, cerr); err != nil {
			return fmt.Errorf("detach pinned link %s: %w", linkPath, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("open pinned link %s: %w", linkPath, err)
	default:
		prog, err := ebpf.LoadPinnedProgram(progPath, nil)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("open pinned program %s: %w", progPath, err)
		}
		defer prog.Close()
		if err := netlinkDetach(ifindex, prog, 0); err != nil {
			return err
		}
	}
	if err := os.Remove(progPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unpin program %s: %w", progPath, err)
	}
	return nil
}

// DetachPinned detaches the firewall pinned in pinDir from ifindex (in the
// calling thread's network namespace) and removes every pin and the
// directory, so the next attach starts fresh.
func DetachPinned(pinDir string, ifindex int) error {
	if err := detachPins(pinDir, ifindex); err != nil {
		return err
	}
	entries, err := os.ReadDir(pinDir)
	if err != nil {
		return fmt.Errorf("read pin dir %s: %w", pinDir, err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(pinDir, e.Name())); err != nil {
			return fmt.Errorf("remove pin: %w", err)
		}
	}
	if err := os.Remove(pinDir); err != nil {
		return fmt.Errorf("remove pin dir: %w", err)
	}
	return nil
}
