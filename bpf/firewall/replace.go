package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/cilium/ebpf"
)

// ReplaceOptions tune Replace.
type ReplaceOptions struct {
	// PerElement fills the new tries with one update per prefix even where
	// the kernel has batch updates (to compare the two).
	PerElement bool
}

// ReplaceReport says what a Replace did.
type ReplaceReport struct {
	V4, V6 int           // prefixes in the new set
	Batch  bool          // filled with BPF_MAP_UPDATE_BATCH
	Fill   time.Duration // building the new tries
	Swap   time.Duration // both outer-map updates and pin renames
}

// batchChunk bounds one BPF_MAP_UPDATE_BATCH call (and its key buffer).
const batchChunk = 1 << 16

// Replace makes prefixes the whole blocklist. It validates all input first,
// builds new tries, then swaps each family in with one map update, so
// packets see either the old set or the new one. Nothing changes on error
// before the swap.
func (fw *Firewall) Replace(prefixes []netip.Prefix) error {
	_, err := fw.ReplaceWith(prefixes, ReplaceOptions{})
	return err
}

// ReplaceWith is Replace with options, reporting what it did.
func (fw *Firewall) ReplaceWith(prefixes []netip.Prefix, opts ReplaceOptions) (ReplaceReport, error) {
	var v4 []firewallFwLpmV4
	var v6 []firewallFwLpmV6
	for _, p := range prefixes {
		if err := canonical(p); err != nil {
			return ReplaceReport{}, fmt.Errorf("replace: %w", err)
		}
		if p.Addr().Is4() {
			v4 = append(v4, keyV4(p))
		} else {
			v6 = append(v6, keyV6(p))
		}
	}
	rep := ReplaceReport{V4: len(v4), V6: len(v6)}
	if len(v4) > MaxRules || len(v6) > MaxRules {
		return rep, fmt.Errorf("replace: %d IPv4 and %d IPv6 prefixes exceed the capacity of %d per family", len(v4), len(v6), MaxRules)
	}
	unlock, err := lockPinDir(fw.pinDir, fw.lockTimeout)
	if err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	defer unlock()

	start := time.Now()
	new4, batch4, err := buildInner(fw.v4.spec, v4, opts.PerElement)
	if err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	defer new4.Close()
	new6, batch6, err := buildInner(fw.v6.spec, v6, opts.PerElement)
	if err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	defer new6.Close()
	rep.Batch = batch4 || batch6
	rep.Fill = time.Since(start)

	start = time.Now()
	if err := fw.v4.swap(fw.pinDir, new4); err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	if err := fw.v6.swap(fw.pinDir, new6); err != nil {
		return rep, fmt.Errorf("replace (IPv4 already swapped): %w", err)
	}
	rep.Swap = time.Since(start)
	if fw.pinDir == "" {
		// Without pins this process keeps the live tries by fd.
		for _, p := range []struct {
			f *family
			m *ebpf.Map
		}{{&fw.v4, new4}, {&fw.v6, new6}} {
			c, err := p.m.Clone()
			if err != nil {
				return rep, fmt.Errorf("replace: keep new %s: %w", p.f.name, err)
			}
			p.f.setHeld("", c)
		}
	}
	return rep, nil
}

// buildInner creates a trie from spec and fills it with keys, in batches
// where the kernel supports them for LPM tries. It reports whether batches
// were used.
func buildInner[K any](spec *ebpf.MapSpec, keys []K, perElement bool) (*ebpf.Map, bool, error) {
	m, err := ebpf.NewMap(spec)
	if err != nil {
		return nil, false, fmt.Errorf("create blocklist map: %w", err)
	}
	batch := !perElement && len(keys) > 0
	if batch {
		values := make([]uint8, min(len(keys), batchChunk))
		for i := range values {
			values[i] = present
		}
		for off := 0; off < len(keys); off += batchChunk {
			end := min(off+batchChunk, len(keys))
			_, err := m.BatchUpdate(keys[off:end], values[:end-off], nil)
			if off == 0 && errors.Is(err, ebpf.ErrNotSupported) {
				batch = false
				break
			}
			if err != nil {
				m.Close()
				return nil, false, fmt.Errorf("fill new blocklist (batch at entry %d): %w", off, err)
			}
		}
	}
	if !batch {
		for i := range keys {
			if err := m.Update(&keys[i], present, ebpf.UpdateAny); err != nil {
				m.Close()
				return nil, false, fmt.Errorf("fill new blocklist (entry %d): %w", i, err)
			}
		}
	}
	return m, batch, nil
}
