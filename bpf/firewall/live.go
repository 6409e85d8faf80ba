package firewall

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
)

// The live tries are reached without BPF_MAP_GET_FD_BY_ID, which needs
// CAP_SYS_ADMIN: looking up a slot of an array-of-maps yields only a map
// ID. So each trie is pinned next to its outer map as "<outer>_live", and a
// process without a pin dir keeps the fds it created.
const (
	liveSuffix = "_live"
	tmpSuffix  = "_new" // bpffs refuses dots in names
)

// family is an address family's blocklist: its outer map, the template of
// its tries and, without a pin dir, the trie this process created.
type family struct {
	name  string // name of the outer map, and of its pins
	outer *ebpf.Map
	spec  *ebpf.MapSpec
	held  *ebpf.Map
}

func (f *family) livePin(dir string) string { return filepath.Join(dir, f.name+liveSuffix) }

// slotID returns the ID of the trie in slot 0 without opening it (no
// CAP_SYS_ADMIN needed); ebpf.ErrKeyNotExist when the slot is empty.
func (f *family) slotID() (ebpf.MapID, error) {
	var id uint32
	if err := f.outer.Lookup(uint32(0), &id); err != nil {
		return 0, fmt.Errorf("read slot of %s: %w", f.name, err)
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

// open returns the trie that is live now, for the caller to close. Order:
// the live pin (checked against the slot, since another process may have
// swapped it), the fd this process holds, and last the map-ID lookup.
func (f *family) open(pinDir string) (*ebpf.Map, error) {
	if pinDir != "" {
		m, err := ebpf.LoadPinnedMap(f.livePin(pinDir), nil)
		if err == nil {
			if err := f.matchesSlot(m); err != nil {
				m.Close()
				return nil, err
			}
			return m, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open live blocklist %s: %w", f.livePin(pinDir), err)
		}
	}
	if f.held != nil {
		return f.held.Clone()
	}
	return currentInner(f.outer)
}

// matchesSlot checks that m is the trie in the outer map's slot.
func (f *family) matchesSlot(m *ebpf.Map) error {
	want, err := f.slotID()
	if err != nil {
		return err
	}
	got, err := mapID(m)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("live blocklist pin of %s holds map %d but the firewall uses map %d: the pins were changed outside bpflab; run `bpflab firewall detach` and attach again", f.name, got, want)
	}
	return nil
}

// ensure makes sure slot 0 holds a trie and, with a pin dir, that the trie
// is pinned. A fresh outer map gets an empty trie; a reused one keeps its
// live trie.
func (f *family) ensure(pinDir string) error {
	id, err := f.slotID()
	switch {
	case errors.Is(err, ebpf.ErrKeyNotExist):
		fresh, err := ebpf.NewMap(f.spec)
		if err != nil {
			return fmt.Errorf("create inner map for %s: %w", f.name, err)
		}
		if pinDir != "" {
			if err := pinAtomically(fresh, f.livePin(pinDir)); err != nil {
				fresh.Close()
				return err
			}
		}
		if err := f.outer.Update(uint32(0), fresh, ebpf.UpdateAny); err != nil {
			fresh.Close()
			return fmt.Errorf("install inner map in %s: %w", f.name, err)
		}
		f.setHeld(pinDir, fresh)
		return nil
	case err != nil:
		return err
	}
	if pinDir != "" {
		if m, err := ebpf.LoadPinnedMap(f.livePin(pinDir), nil); err == nil {
			got, err := mapID(m)
			m.Close()
			if err == nil && got == id {
				return nil
			}
		}
	}
	// Pinned by an older bpflab (no live pin) or a stale pin: adopting the
	// trie by ID is the one step that needs CAP_SYS_ADMIN.
	inner, err := currentInner(f.outer)
	if err != nil {
		return fmt.Errorf("%w (the live blocklist has no usable pin %s; run once as root to re-pin it)", err, f.livePin(pinDir))
	}
	if pinDir != "" {
		if err := pinAtomically(inner, f.livePin(pinDir)); err != nil {
			inner.Close()
			return err
		}
	}
	f.setHeld(pinDir, inner)
	return nil
}

// setHeld keeps m when there is no pin dir; with one, the pin is the
// reference and holding an fd would go stale after another process swaps.
func (f *family) setHeld(pinDir string, m *ebpf.Map) {
	if pinDir != "" {
		m.Close()
		return
	}
	if f.held != nil {
		f.held.Close()
	}
	f.held = m
}

// pinAtomically pins m under a temporary name and renames it over path, so
// path always names a complete trie.
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

// swap installs fresh as the family's live trie with one outer-map update
// and then points the live pin at it.
func (f *family) swap(pinDir string, fresh *ebpf.Map) error {
	tmp := f.livePin(pinDir) + tmpSuffix
	if pinDir != "" {
		os.Remove(tmp)
		if err := fresh.Pin(tmp); err != nil {
			return fmt.Errorf("pin new %s trie at %s: %w", f.name, tmp, err)
		}
	}
	if err := f.outer.Update(uint32(0), fresh, ebpf.UpdateAny); err != nil {
		if pinDir != "" {
			os.Remove(tmp)
		}
		return fmt.Errorf("swap %s: %w", f.name, err)
	}
	if pinDir != "" {
		if err := os.Rename(tmp, f.livePin(pinDir)); err != nil {
			return fmt.Errorf("swap %s: new set is live but its pin stays at %s: %w", f.name, tmp, err)
		}
	}
	return nil
}

func (f *family) close() error {
	if f.held == nil {
		return nil
	}
	err := f.held.Close()
	f.held = nil
	return err
}
