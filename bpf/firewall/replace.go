package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
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
// builds new maps, then swaps all of them in with one map update (the
// "active" generation), so packets see either the old set or the new one. Nothing changes on error
// before the swap.
func (fw *Firewall) Replace(prefixes []netip.Prefix) error {
	_, err := fw.ReplaceWith(prefixes, ReplaceOptions{})
	return err
}

// ReplaceWith is Replace with options, reporting what it did.
func (fw *Firewall) ReplaceWith(prefixes []netip.Prefix, opts ReplaceOptions) (ReplaceReport, error) {
	var (
		h4 []firewallFwHostV4
		t4 []firewallFwLpmV4
		h6 []firewallFwHostV6
		t6 []firewallFwLpmV6
	)
	for _, p := range prefixes {
		if err := canonical(p); err != nil {
			return ReplaceReport{}, fmt.Errorf("replace: %w", err)
		}
		switch {
		case p.Addr().Is4() && isHost(p):
			h4 = append(h4, hostV4(p))
		case p.Addr().Is4():
			t4 = append(t4, keyV4(p))
		case isHost(p):
			h6 = append(h6, hostV6(p))
		default:
			t6 = append(t6, keyV6(p))
		}
	}
	rep := ReplaceReport{V4: len(h4) + len(t4), V6: len(h6) + len(t6)}
	for _, n := range []int{len(h4), len(t4), len(h6), len(t6)} {
		if n > MaxRules {
			return rep, fmt.Errorf("replace: %d IPv4 and %d IPv6 prefixes exceed the capacity of %d hosts and %d other prefixes per family",
				rep.V4, rep.V6, MaxRules, MaxRules)
		}
	}
	unlock, err := lockPinDir(fw.pinDir, fw.lockTimeout)
	if err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	defer unlock()

	start := time.Now()
	// In parts() order. The four fills are independent: run them at once.
	type built struct {
		m     *ebpf.Map
		batch bool
		err   error
	}
	res := make([]built, 4)
	fills := []func() (*ebpf.Map, bool, error){
		func() (*ebpf.Map, bool, error) {
			return buildInner(hostSpec(fw.v4.hosts.spec, len(h4)), h4, opts.PerElement)
		},
		func() (*ebpf.Map, bool, error) { return buildInner(fw.v4.trie.spec, t4, opts.PerElement) },
		func() (*ebpf.Map, bool, error) {
			return buildInner(hostSpec(fw.v6.hosts.spec, len(h6)), h6, opts.PerElement)
		},
		func() (*ebpf.Map, bool, error) { return buildInner(fw.v6.trie.spec, t6, opts.PerElement) },
	}
	var wg sync.WaitGroup
	for i, fill := range fills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].m, res[i].batch, res[i].err = fill()
		}()
	}
	wg.Wait()
	var fresh []*ebpf.Map
	var errs []error
	for _, r := range res {
		if r.m != nil {
			defer r.m.Close()
			fresh = append(fresh, r.m)
		}
		errs = append(errs, r.err)
		rep.Batch = rep.Batch || r.batch
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	rep.Fill = time.Since(start)

	start = time.Now()
	if err := fw.swapAll(fresh); err != nil {
		return rep, fmt.Errorf("replace: %w", err)
	}
	rep.Swap = time.Since(start)
	return rep, nil
}

// buildInner creates a map (trie or host hash) from spec and fills it with
// keys, in batches where the kernel supports them for the map type. It reports whether batches
// were used.
func buildInner[K any](spec *ebpf.MapSpec, keys []K, perElement bool) (*ebpf.Map, bool, error) {
	m, err := ebpf.NewMap(spec)
	if err != nil {
		return nil, false, fmt.Errorf("create blocklist map: %w", err)
	}
	batch := !perElement && len(keys) > 0
	if batch {
		batch, err = fillBatches(m, spec.Type, keys)
		if err != nil {
			m.Close()
			return nil, false, err
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

// fillBatches fills m with BPF_MAP_UPDATE_BATCH, reporting false (and
// filling nothing) where the kernel has no batches for m's type. A hash
// map is filled by two writers at once (its buckets lock separately; a
// trie has one lock, so one writer).
func fillBatches[K any](m *ebpf.Map, typ ebpf.MapType, keys []K) (bool, error) {
	values := make([]uint8, min(len(keys), batchChunk))
	for i := range values {
		values[i] = present
	}
	fill := func(from, to int) error {
		for off := from; off < to; off += batchChunk {
			end := min(off+batchChunk, to)
			if _, err := m.BatchUpdate(keys[off:end], values[:end-off], nil); err != nil {
				return fmt.Errorf("fill new blocklist (batch at entry %d): %w", off, err)
			}
		}
		return nil
	}
	// The first chunk alone tells whether batches work.
	first := min(batchChunk, len(keys))
	if err := fill(0, first); errors.Is(err, ebpf.ErrNotSupported) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	rest := keys[first:]
	if typ != ebpf.Hash || len(rest) < 2*batchChunk {
		return true, fill(first, len(keys))
	}
	mid := first + len(rest)/2
	errs := make(chan error, 1)
	go func() { errs <- fill(mid, len(keys)) }()
	err := fill(first, mid)
	return true, errors.Join(err, <-errs)
}
