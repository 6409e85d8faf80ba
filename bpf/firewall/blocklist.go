package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
)

// MaxRules is the capacity of each blocklist (IPv4 and IPv6 separately).
const MaxRules = 1 << 20

// present is the value stored for every blocked prefix; only the key matters.
const present uint8 = 1

// canonical checks that p is a valid, masked prefix. Non-canonical input such
// as 192.0.2.1/24 is rejected rather than silently widened or narrowed.
func canonical(p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("prefix %q is not a valid CIDR prefix", p)
	}
	if p.Addr().Is4In6() {
		return fmt.Errorf("prefix %s is an IPv4-mapped IPv6 prefix; write it as an IPv4 prefix", p)
	}
	if p.Addr().Zone() != "" {
		return fmt.Errorf("prefix %s has a zone; blocklists hold plain addresses", p)
	}
	if m := p.Masked(); m != p {
		return fmt.Errorf("prefix %s has host bits set; did you mean %s?", p, m)
	}
	return nil
}

// Fixed-size LPM keys, laid out like struct fw_lpm_v4/v6 in firewall.h.
func keyV4(p netip.Prefix) firewallFwLpmV4 {
	return firewallFwLpmV4{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As4()}
}

func keyV6(p netip.Prefix) firewallFwLpmV6 {
	return firewallFwLpmV6{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As16()}
}

// currentInner returns the trie held in slot 0 of outer; the caller closes it.
func currentInner(outer *ebpf.Map) (*ebpf.Map, error) {
	var inner *ebpf.Map
	if err := outer.Lookup(uint32(0), &inner); err != nil {
		return nil, fmt.Errorf("look up current inner map of %s: %w", outer, err)
	}
	return inner, nil
}

func (fw *Firewall) familyOf(p netip.Prefix) (*family, any) {
	if p.Addr().Is4() {
		return &fw.v4, keyV4(p)
	}
	return &fw.v6, keyV6(p)
}

// withInner runs fn on the trie for p's address family that is live now
// (another process may have swapped it since Load), holding the writer lock.
func (fw *Firewall) withInner(p netip.Prefix, fn func(inner *ebpf.Map, key any) error) error {
	unlock, err := lockPinDir(fw.pinDir, fw.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	f, key := fw.familyOf(p)
	inner, err := f.open(fw.pinDir)
	if err != nil {
		return err
	}
	defer inner.Close()
	return fn(inner, key)
}

// Block adds p to the live blocklist. Blocking a prefix twice is not an error.
func (fw *Firewall) Block(p netip.Prefix) error {
	if err := canonical(p); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return fw.withInner(p, func(inner *ebpf.Map, key any) error {
		if err := inner.Update(key, present, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("block %s: %w", p, err)
		}
		return nil
	})
}

// Unblock removes p from the live blocklist. It fails if p is not blocked.
func (fw *Firewall) Unblock(p netip.Prefix) error {
	if err := canonical(p); err != nil {
		return fmt.Errorf("unblock: %w", err)
	}
	return fw.withInner(p, func(inner *ebpf.Map, key any) error {
		if err := inner.Delete(key); err != nil {
			if errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("unblock %s: prefix is not blocked: %w", p, err)
			}
			return fmt.Errorf("unblock %s: %w", p, err)
		}
		return nil
	})
}

// Blocked lists the prefixes in the live blocklists, sorted: IPv4 first,
// then by address and prefix length.
func (fw *Firewall) Blocked() ([]netip.Prefix, error) {
	var out []netip.Prefix
	v4, err := fw.v4.open(fw.pinDir)
	if err != nil {
		return nil, err
	}
	defer v4.Close()
	if err := eachKey(v4, func(k firewallFwLpmV4) {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(k.Addr), int(k.Prefixlen)))
	}); err != nil {
		return nil, fmt.Errorf("IPv4 blocklist: %w", err)
	}
	v6, err := fw.v6.open(fw.pinDir)
	if err != nil {
		return nil, err
	}
	defer v6.Close()
	if err := eachKey(v6, func(k firewallFwLpmV6) {
		out = append(out, netip.PrefixFrom(netip.AddrFrom16(k.Addr), int(k.Prefixlen)))
	}); err != nil {
		return nil, fmt.Errorf("IPv6 blocklist: %w", err)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return out, nil
}

// BlockAll adds every prefix under one writer lock. Input is validated
// first; if the kernel refuses one, the ones added before it are removed
// again, so the live set is as before.
func (fw *Firewall) BlockAll(ps []netip.Prefix) error {
	return fw.editAll(ps, true)
}

// UnblockAll removes every prefix under one writer lock, or none: if one
// is not blocked, the ones removed before it are put back.
func (fw *Firewall) UnblockAll(ps []netip.Prefix) error {
	return fw.editAll(ps, false)
}

func (fw *Firewall) editAll(ps []netip.Prefix, block bool) error {
	verb := map[bool]string{true: "block", false: "unblock"}[block]
	for _, p := range ps {
		if err := canonical(p); err != nil {
			return fmt.Errorf("%s: %w", verb, err)
		}
	}
	unlock, err := lockPinDir(fw.pinDir, fw.lockTimeout)
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	defer unlock()
	v4, err := fw.v4.open(fw.pinDir)
	if err != nil {
		return err
	}
	defer v4.Close()
	v6, err := fw.v6.open(fw.pinDir)
	if err != nil {
		return err
	}
	defer v6.Close()
	// apply adds or removes p; with add, BPF_NOEXIST tells which prefixes
	// were new, so an undo removes only those.
	apply := func(p netip.Prefix, add bool) error {
		m, key := v6, any(keyV6(p))
		if p.Addr().Is4() {
			m, key = v4, keyV4(p)
		}
		if add {
			return m.Update(key, present, ebpf.UpdateNoExist)
		}
		return m.Delete(key)
	}
	var done []netip.Prefix
	for _, p := range ps {
		err := apply(p, block)
		if block && errors.Is(err, ebpf.ErrKeyExist) {
			continue // blocked already
		}
		if err != nil {
			var undo []error
			for _, d := range done {
				if uerr := apply(d, !block); uerr != nil {
					undo = append(undo, uerr)
				}
			}
			if errors.Is(err, ebpf.ErrKeyNotExist) {
				err = fmt.Errorf("prefix is not blocked: %w", err)
			}
			return errors.Join(fmt.Errorf("%s %s: %w (nothing changed)", verb, p, err), errors.Join(undo...))
		}
		done = append(done, p)
	}
	return nil
}

// Entries counts the prefixes in the live blocklists.
func (fw *Firewall) Entries() (v4, v6 int, err error) {
	m4, err := fw.v4.open(fw.pinDir)
	if err != nil {
		return 0, 0, err
	}
	defer m4.Close()
	if err := eachKey(m4, func(firewallFwLpmV4) { v4++ }); err != nil {
		return 0, 0, err
	}
	m6, err := fw.v6.open(fw.pinDir)
	if err != nil {
		return 0, 0, err
	}
	defer m6.Close()
	if err := eachKey(m6, func(firewallFwLpmV6) { v6++ }); err != nil {
		return 0, 0, err
	}
	return v4, v6, nil
}
