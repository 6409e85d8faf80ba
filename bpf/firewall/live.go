package firewall

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
)

// The live maps are reached without BPF_MAP_GET_FD_BY_ID, which needs
// CAP_SYS_ADMIN: looking up a slot of an array-of-maps yields only a map
// ID. So each live inner map is pinned next to its outer map as
// "<outer>_live", and a process without a pin dir keeps the fds it created.
const (
	liveSuffix = "_live"
	tmpSuffix  = "_new" // bpffs refuses dots in names
)

// generations is FW_GENERATIONS: the slots of every outer map.
const generations = 2

// part is one outer map with its inner maps, one per generation: a
// family's host map (hosts_v4, hosts_v6) or its trie (blocklist_v4,
// blocklist_v6). Without a pin dir, held is the live inner map this process
// created.
type part struct {
	name  string // name of the outer map, and of its pins
	outer *ebpf.Map
	spec  *ebpf.MapSpec
	held  *ebpf.Map
}

func (p *part) livePin(dir string) string { return filepath.Join(dir, p.name+liveSuffix) }

// slotID returns the ID of the inner map in slot gen without opening it
// (no CAP_SYS_ADMIN needed); ebpf.ErrKeyNotExist when the slot is empty.
func (p *part) slotID(gen uint32) (ebpf.MapID, error) {
	var id uint32
	if err := p.outer.Lookup(gen, &id); err != nil {
		return 0, fmt.Errorf("read slot %d of %s: %w", gen, p.name, err)
	}
	return ebpf.MapID(id), nil
}

func mapID(m *ebpf.Map) (ebpf.MapID, error) {
	info, err := m.Info()
	if err != nil {
		return 0, fmt.Errorf("map info of %s: %w", m, err)
	}
	id, ok := info.ID()
	if !ok {
		return 0, errors.New("kernel does not report map IDs (needs >= 4.13)")
	}
	return id, nil
}

// open returns the inner map of generation gen, for the caller to close.
// Order: the live pin (checked against the slot, since another process may
// have swapped it), the fd this process holds, and last the map-ID lookup.
func (p *part) open(pinDir string, gen uint32) (*ebpf.Map, error) {
	if pinDir != "" {
		m, err := ebpf.LoadPinnedMap(p.livePin(pinDir), nil)
		if err == nil {
			if err := p.matchesSlot(m, gen); err != nil {
				m.Close()
				return nil, err
			}
			return m, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open live blocklist %s: %w", p.livePin(pinDir), err)
		}
	}
	if p.held != nil {
		return p.held.Clone()
	}
	return currentInner(p.outer, gen)
}

// matchesSlot checks that m is the inner map in slot gen.
func (p *part) matchesSlot(m *ebpf.Map, gen uint32) error {
	want, err := p.slotID(gen)
	if err != nil {
		return err
	}
	got, err := mapID(m)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("live blocklist pin of %s holds map %d but the firewall uses map %d: the pins were changed outside bpflab, or a swap is under way; retry, else run `bpflab firewall detach` and attach again", p.name, got, want)
	}
	return nil
}

// ensure makes sure slot gen holds an inner map and, with a pin dir, that
// it is pinned. A fresh outer map gets an empty inner map in every slot (so
// no frame ever finds a slot empty); a reused one keeps its live map.
func (p *part) ensure(pinDir string, gen uint32) error {
	id, err := p.slotID(gen)
	switch {
	case errors.Is(err, ebpf.ErrKeyNotExist):
		fresh, err := ebpf.NewMap(p.spec)
		if err != nil {
			return fmt.Errorf("create inner map for %s: %w", p.name, err)
		}
		if pinDir != "" {
			if err := pinAtomically(fresh, p.livePin(pinDir)); err != nil {
				fresh.Close()
				return err
			}
		}
		for slot := range uint32(generations) {
			if err := p.outer.Update(slot, fresh, ebpf.UpdateAny); err != nil {
				fresh.Close()
				return fmt.Errorf("install inner map in slot %d of %s: %w", slot, p.name, err)
			}
		}
		p.setHeld(pinDir, fresh)
		return nil
	case err != nil:
		return err
	}
	if pinDir != "" {
		if m, err := ebpf.LoadPinnedMap(p.livePin(pinDir), nil); err == nil {
			got, err := mapID(m)
			m.Close()
			if err == nil && got == id {
				return nil
			}
		}
	}
	// A stale pin: adopting the inner map by ID is the one step that needs
	// CAP_SYS_ADMIN.
	inner, err := currentInner(p.outer, gen)
	if err != nil {
		return fmt.Errorf("%w (the live blocklist has no usable pin %s; run once as root to re-pin it)", err, p.livePin(pinDir))
	}
	if pinDir != "" {
		if err := pinAtomically(inner, p.livePin(pinDir)); err != nil {
			inner.Close()
			return err
		}
	}
	p.setHeld(pinDir, inner)
	return nil
}

// setHeld keeps m when there is no pin dir; with one, the pin is the
// reference and holding an fd would go stale after another process swaps.
func (p *part) setHeld(pinDir string, m *ebpf.Map) {
	if pinDir != "" {
		m.Close()
		return
	}
	if p.held != nil {
		p.held.Close()
	}
	p.held = m
}

// pinAtomically pins m under a temporary name and renames it over path, so
// path always names a complete map.
func pinAtomically(m *ebpf.Map, path string) error {
	tmp := path + tmpSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale pin %s: %w", tmp, err)
	}
	// Pin would adopt m's name but changes nothing about m itself.
	if err := m.Pin(tmp); err != nil {
		return fmt.Errorf("pin %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename pin %s to %s: %w", tmp, path, err)
	}
	return nil
}

// stage puts fresh into slot next (not live yet) and pins it under the
// temporary name; commit makes that pin the live one after the flip.
func (p *part) stage(pinDir string, fresh *ebpf.Map, next uint32) error {
	if pinDir != "" {
		tmp := p.livePin(pinDir) + tmpSuffix
		os.Remove(tmp)
		if err := fresh.Pin(tmp); err != nil {
			return fmt.Errorf("pin new %s map at %s: %w", p.name, tmp, err)
		}
	}
	if err := p.outer.Update(next, fresh, ebpf.UpdateAny); err != nil {
		p.unstage(pinDir)
		return fmt.Errorf("stage %s: %w", p.name, err)
	}
	return nil
}

func (p *part) unstage(pinDir string) {
	if pinDir != "" {
		os.Remove(p.livePin(pinDir) + tmpSuffix)
	}
}

func (p *part) commit(pinDir string, fresh *ebpf.Map) error {
	if pinDir == "" {
		c, err := fresh.Clone()
		if err != nil {
			return fmt.Errorf("keep new %s: %w", p.name, err)
		}
		p.setHeld("", c)
		return nil
	}
	tmp := p.livePin(pinDir) + tmpSuffix
	if err := os.Rename(tmp, p.livePin(pinDir)); err != nil {
		return fmt.Errorf("swap %s: new set is live but its pin stays at %s: %w", p.name, tmp, err)
	}
	return nil
}

func (p *part) close() error {
	if p.held == nil {
		return nil
	}
	err := p.held.Close()
	p.held = nil
	return err
}

// generation reads the live generation from the "active" map.
func (fw *Firewall) generation() (uint32, error) {
	var gen uint32
	if err := fw.objs.Active.Lookup(uint32(0), &gen); err != nil {
		return 0, fmt.Errorf("read the live generation: %w", err)
	}
	return gen & 1, nil // the program reads any non-zero value as 1
}

// parts lists the four outer maps in a fixed order.
func (fw *Firewall) parts() []*part {
	return []*part{&fw.v4.hosts, &fw.v4.trie, &fw.v6.hosts, &fw.v6.trie}
}

// swapAll installs fresh (one inner map per part, in parts() order) as the
// whole live set: each goes into the idle slot, then one update of
// "active" makes them all live at once, so a frame sees the old set or the
// new one, never a mix. The old maps stay in the idle slot until the next
// swap (a frame that read the old generation may still be using them).
// Nothing observable changes if it fails before the flip.
func (fw *Firewall) swapAll(fresh []*ebpf.Map) error {
	gen, err := fw.generation()
	if err != nil {
		return err
	}
	next := 1 - gen
	parts := fw.parts()
	for i, p := range parts {
		if err := p.stage(fw.pinDir, fresh[i], next); err != nil {
			for _, q := range parts[:i] {
				q.unstage(fw.pinDir)
			}
			return err
		}
	}
	if err := fw.objs.Active.Update(uint32(0), next, ebpf.UpdateAny); err != nil {
		for _, p := range parts {
			p.unstage(fw.pinDir)
		}
		return fmt.Errorf("flip to the new set: %w", err)
	}
	var errs []error
	for i, p := range parts {
		errs = append(errs, p.commit(fw.pinDir, fresh[i]))
	}
	return errors.Join(errs...)
}
