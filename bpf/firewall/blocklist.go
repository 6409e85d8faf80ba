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

// Fixed-size keys, laid out like struct fw_lpm_v4/v6 and fw_host_v4/v6 in
// firewall.h.
func keyV4(p netip.Prefix) firewallFwLpmV4 {
	return firewallFwLpmV4{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As4()}
}

func keyV6(p netip.Prefix) firewallFwLpmV6 {
	return firewallFwLpmV6{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As16()}
}

func hostV4(p netip.Prefix) firewallFwHostV4 { return firewallFwHostV4{Addr: p.Addr().As4()} }

func hostV6(p netip.Prefix) firewallFwHostV6 { return firewallFwHostV6{Addr: p.Addr().As16()} }

// isHost reports whether p is a single address (/32, /128): those live in
// the family's hash map, everything else in its trie.
func isHost(p netip.Prefix) bool { return p.Bits() == p.Addr().BitLen() }

// currentInner returns the inner map held in slot gen of outer; the caller
// closes it.
func currentInner(outer *ebpf.Map, gen uint32) (*ebpf.Map, error) {
	var inner *ebpf.Map
	if err := outer.Lookup(gen, &inner); err != nil {
		return nil, fmt.Errorf("look up current inner map of %s: %w", outer, err)
	}
	return inner, nil
}

// target returns the part holding p and p's key in it.
func (fw *Firewall) target(p netip.Prefix) (*part, any) {
	switch {
	case p.Addr().Is4() && isHost(p):
		return &fw.v4.hosts, hostV4(p)
	case p.Addr().Is4():
		return &fw.v4.trie, keyV4(p)
	case isHost(p):
		return &fw.v6.hosts, hostV6(p)
	}
	return &fw.v6.trie, keyV6(p)
}

// withInner runs fn on the live map that holds p (another process may
// have swapped the set since Load), holding the writer lock.
func (fw *Firewall) withInner(p netip.Prefix, fn func(pt *part, inner *ebpf.Map, key any) error) error {
	unlock, err := lockPinDir(fw.pinDir, fw.lockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	gen, err := fw.generation()
	if err != nil {
		return err
	}
	pt, key := fw.target(p)
	inner, err := pt.open(fw.pinDir, gen)
	if err != nil {
		return err
	}
	defer inner.Close()
	return fn(pt, inner, key)
}

// Block adds p to the live blocklist. Blocking a prefix twice is not an error.
func (fw *Firewall) Block(p netip.Prefix) error {
	if err := canonical(p); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return fw.withInner(p, func(pt *part, inner *ebpf.Map, key any) error {
		err := inner.Update(key, present, ebpf.UpdateAny)
		if isFull(err) && isHost(p) {
			bigger, gerr := fw.grow(pt, inner)
			if gerr != nil {
				return fmt.Errorf("block %s: %w", p, gerr)
			}
			defer bigger.Close()
			err = bigger.Update(key, present, ebpf.UpdateAny)
		}
		if err != nil {
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
	return fw.withInner(p, func(_ *part, inner *ebpf.Map, key any) error {
		if err := inner.Delete(key); err != nil {
			if errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("unblock %s: prefix is not blocked: %w", p, err)
			}
			return fmt.Errorf("unblock %s: %w", p, err)
		}
		return nil
	})
}

// liveMaps opens the four live maps, in parts() order; close them with
// closeAll.
func (fw *Firewall) liveMaps() ([]*ebpf.Map, error) {
	gen, err := fw.generation()
	if err != nil {
		return nil, err
	}
	var maps []*ebpf.Map
	for _, p := range fw.parts() {
		m, err := p.open(fw.pinDir, gen)
		if err != nil {
			closeAll(maps)
			return nil, err
		}
		maps = append(maps, m)
	}
	return maps, nil
}

func closeAll(maps []*ebpf.Map) {
	for _, m := range maps {
		m.Close()
	}
}

// eachPrefix calls fn with every prefix of the live maps (in parts()
// order: IPv4 hosts, IPv4 trie, IPv6 hosts, IPv6 trie).
func eachPrefix(maps []*ebpf.Map, fn func(netip.Prefix)) error {
	steps := []struct {
		name string
		run  func(m *ebpf.Map) error
	}{
		{"IPv4 hosts", func(m *ebpf.Map) error {
			return eachKey(m, func(k firewallFwHostV4) { fn(netip.PrefixFrom(netip.AddrFrom4(k.Addr), 32)) })
		}},
		{"IPv4 blocklist", func(m *ebpf.Map) error {
			return eachKey(m, func(k firewallFwLpmV4) {
				fn(netip.PrefixFrom(netip.AddrFrom4(k.Addr), int(k.Prefixlen)))
			})
		}},
		{"IPv6 hosts", func(m *ebpf.Map) error {
			return eachKey(m, func(k firewallFwHostV6) { fn(netip.PrefixFrom(netip.AddrFrom16(k.Addr), 128)) })
		}},
		{"IPv6 blocklist", func(m *ebpf.Map) error {
			return eachKey(m, func(k firewallFwLpmV6) {
				fn(netip.PrefixFrom(netip.AddrFrom16(k.Addr), int(k.Prefixlen)))
			})
		}},
	}
	for i, st := range steps {
		if err := st.run(maps[i]); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// Blocked lists the prefixes in the live blocklists, sorted: IPv4 first,
// then by address and prefix length.
func (fw *Firewall) Blocked() ([]netip.Prefix, error) {
	maps, err := fw.liveMaps()
	if err != nil {
		return nil, err
	}
	defer closeAll(maps)
	var out []netip.Prefix
	if err := eachPrefix(maps, func(p netip.Prefix) { out = append(out, p) }); err != nil {
		return nil, err
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
	maps, err := fw.liveMaps()
	if err != nil {
		return err
	}
	defer func() { closeAll(maps) }()
	byPart := map[*part]*ebpf.Map{}
	for i, p := range fw.parts() {
		byPart[p] = maps[i]
	}
	// apply adds or removes p; with add, BPF_NOEXIST tells which prefixes
	// were new, so an undo removes only those.
	// A full host map is grown (swapped for a bigger copy) and the add
	// retried there; undo then works on the bigger map.
	apply := func(p netip.Prefix, add bool) error {
		pt, key := fw.target(p)
		if !add {
			return byPart[pt].Delete(key)
		}
		err := byPart[pt].Update(key, present, ebpf.UpdateNoExist)
		if isFull(err) && isHost(p) {
			bigger, gerr := fw.grow(pt, byPart[pt])
			if gerr != nil {
				return gerr
			}
			maps = append(maps, bigger) // closed with the others
			byPart[pt] = bigger
			err = bigger.Update(key, present, ebpf.UpdateNoExist)
		}
		return err
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
	maps, err := fw.liveMaps()
	if err != nil {
		return 0, 0, err
	}
	defer closeAll(maps)
	err = eachPrefix(maps, func(p netip.Prefix) {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return v4, v6, nil
}
