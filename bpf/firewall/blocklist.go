package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
)

// MaxRules is the capacity of each blocklist (IPv4 and IPv6 separately).
const MaxRules = 65536

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

// withInner runs fn on the trie for p's address family that is live now
// (another process may have swapped it since Load).
func (fw *Firewall) withInner(p netip.Prefix, fn func(inner *ebpf.Map, key any) error) error {
	outer, key := fw.objs.BlocklistV6, any(keyV6(p))
	if p.Addr().Is4() {
		outer, key = fw.objs.BlocklistV4, keyV4(p)
	}
	inner, err := currentInner(outer)
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
	v4, err := currentInner(fw.objs.BlocklistV4)
	if err != nil {
		return nil, err
	}
	defer v4.Close()
	var k4 firewallFwLpmV4
	var val uint8
	it := v4.Iterate()
	for it.Next(&k4, &val) {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(k4.Addr), int(k4.Prefixlen)))
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("iterate IPv4 blocklist: %w", err)
	}
	v6, err := currentInner(fw.objs.BlocklistV6)
	if err != nil {
		return nil, err
	}
	defer v6.Close()
	var k6 firewallFwLpmV6
	it = v6.Iterate()
	for it.Next(&k6, &val) {
		out = append(out, netip.PrefixFrom(netip.AddrFrom16(k6.Addr), int(k6.Prefixlen)))
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("iterate IPv6 blocklist: %w", err)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return out, nil
}

// Replace makes prefixes the whole blocklist. It validates all input first,
// builds new tries, then swaps each family in with one map update, so
// packets see either the old set or the new one. Nothing changes on error
// before the swap.
func (fw *Firewall) Replace(prefixes []netip.Prefix) error {
	var v4, v6 []netip.Prefix
	for _, p := range prefixes {
		if err := canonical(p); err != nil {
			return fmt.Errorf("replace: %w", err)
		}
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	if len(v4) > MaxRules || len(v6) > MaxRules {
		return fmt.Errorf("replace: %d IPv4 and %d IPv6 prefixes exceed the capacity of %d per family", len(v4), len(v6), MaxRules)
	}
	new4, err := buildInner(fw.innerV4, v4, func(p netip.Prefix) any { return keyV4(p) })
	if err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	defer new4.Close()
	new6, err := buildInner(fw.innerV6, v6, func(p netip.Prefix) any { return keyV6(p) })
	if err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	defer new6.Close()
	// The outer maps keep the new tries alive after we close our fds.
	if err := fw.objs.BlocklistV4.Update(uint32(0), new4, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("replace: swap IPv4 blocklist: %w", err)
	}
	if err := fw.objs.BlocklistV6.Update(uint32(0), new6, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("replace: swap IPv6 blocklist (IPv4 already swapped): %w", err)
	}
	return nil
}

func buildInner(spec *ebpf.MapSpec, prefixes []netip.Prefix, key func(netip.Prefix) any) (*ebpf.Map, error) {
	m, err := ebpf.NewMap(spec)
	if err != nil {
		return nil, fmt.Errorf("create blocklist map: %w", err)
	}
	for _, p := range prefixes {
		if err := m.Update(key(p), present, ebpf.UpdateAny); err != nil {
			m.Close()
			return nil, fmt.Errorf("fill new blocklist with %s: %w", p, err)
		}
	}
	return m, nil
}
