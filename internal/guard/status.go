package guard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	bpfguard "github.com/bpflab/bpflab/bpf/guard"
)

// Counts are one hook's calls, summed over CPUs.
type Counts struct {
	Allowed, Denied, OutOfScope, EventsLost uint64
}

// Status is what a pinned guard enforces and has done.
type Status struct {
	PinDir         string
	Scope          Scope
	Hooks          []string // LSM hooks with a pinned link
	Trusted        []Exe
	TrustedCgroups []uint64
	Counts         map[string]Counts // by hook name
}

// ReadStatus reads the guard pinned in dir. Opening pins is gated, so only
// a trusted process (or one outside the scope) can read it.
func ReadStatus(dir string) (*Status, error) {
	if dir == "" {
		dir = DefaultPinDir
	}
	if !Enabled(dir) {
		return nil, fmt.Errorf("no guard is enabled at %s (%w)", dir, ErrBadInput)
	}
	s := &Status{PinDir: dir, Counts: map[string]Counts{}}
	maps := map[string]*ebpf.Map{}
	defer func() {
		for _, m := range maps {
			m.Close()
		}
	}()
	for _, name := range []string{bpfguard.MapTrustedExes, bpfguard.MapTrustedCgroups, bpfguard.MapCounters} {
		m, err := ebpf.LoadPinnedMap(filepath.Join(dir, name), nil)
		if err != nil {
			return nil, fmt.Errorf("guard status: open %s: %w", name, err)
		}
		maps[name] = m
	}
	for _, p := range bpfguard.Programs() {
		if _, err := os.Stat(filepath.Join(dir, linkPin(p))); err == nil {
			s.Hooks = append(s.Hooks, p.Hook)
		}
	}
	scope, err := readScope(dir)
	if err != nil {
		return nil, err
	}
	s.Scope = Scope{CgroupID: scope}
	var (
		k bpfguard.ExeKey
		v bpfguard.ExeVal
	)
	it := maps[bpfguard.MapTrustedExes].Iterate()
	for it.Next(&k, &v) {
		s.Trusted = append(s.Trusted, exeFromMap(k, v))
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("guard status: trusted executables: %w", err)
	}
	sort.Slice(s.Trusted, func(i, j int) bool { return s.Trusted[i].Path < s.Trusted[j].Path })
	var (
		cg  uint64
		one uint8
	)
	cit := maps[bpfguard.MapTrustedCgroups].Iterate()
	for cit.Next(&cg, &one) {
		s.TrustedCgroups = append(s.TrustedCgroups, cg)
	}
	if err := cit.Err(); err != nil {
		return nil, fmt.Errorf("guard status: trusted cgroups: %w", err)
	}
	for h := 0; h < bpfguard.NumHooks; h++ {
		var c [bpfguard.NumVerdict]uint64
		for v := 0; v < bpfguard.NumVerdict; v++ {
			var per []uint64
			if err := maps[bpfguard.MapCounters].Lookup(uint32(h*bpfguard.NumVerdict+v), &per); err != nil {
				return nil, fmt.Errorf("guard status: counters: %w", err)
			}
			for _, n := range per {
				c[v] += n
			}
		}
		s.Counts[bpfguard.Hook(h).String()] = Counts{c[bpfguard.Allowed], c[bpfguard.Denied], c[bpfguard.OutOfScope], c[bpfguard.EventLost]}
	}
	return s, nil
}

// readScope reads scope_cgroup_id back from the running program's
// read-only data, which is what the kernel enforces.
func readScope(dir string) (uint64, error) {
	l, err := link.LoadPinnedLink(filepath.Join(dir, linkPin(bpfguard.Programs()[0])), nil)
	if err != nil {
		return 0, fmt.Errorf("guard status: open link: %w", err)
	}
	defer l.Close()
	li, err := l.Info()
	if err != nil {
		return 0, fmt.Errorf("guard status: link info: %w", err)
	}
	prog, err := ebpf.NewProgramFromID(li.Program)
	if err != nil {
		return 0, fmt.Errorf("guard status: open program %d: %w", li.Program, err)
	}
	defer prog.Close()
	pi, err := prog.Info()
	if err != nil {
		return 0, fmt.Errorf("guard status: program info: %w", err)
	}
	off, err := bpfguard.ScopeOffset()
	if err != nil {
		return 0, err
	}
	ids, _ := pi.MapIDs()
	for _, id := range ids {
		m, err := ebpf.NewMapFromID(id)
		if err != nil {
			return 0, fmt.Errorf("guard status: open map %d: %w", id, err)
		}
		mi, err := m.Info()
		if err != nil || !strings.HasSuffix(mi.Name, ".rodata") {
			m.Close()
			continue
		}
		buf := make([]byte, m.ValueSize())
		err = m.Lookup(uint32(0), buf)
		m.Close()
		if err != nil {
			return 0, fmt.Errorf("guard status: read .rodata: %w", err)
		}
		if int(off)+8 > len(buf) {
			return 0, fmt.Errorf("guard status: .rodata is %d bytes, scope at %d", len(buf), off)
		}
		return binary.NativeEndian.Uint64(buf[off:]), nil
	}
	return 0, errors.New("guard status: the guard program has no .rodata map")
}

// Print writes s for people.
func (s *Status) Print(w io.Writer) {
	fmt.Fprintf(w, "guard: enforcing at %s\n", s.PinDir)
	fmt.Fprintf(w, "scope: %s\n", s.Scope)
	fmt.Fprintf(w, "hooks: %s\n", strings.Join(s.Hooks, ", "))
	fmt.Fprintln(w, "trusted executables:")
	for _, e := range s.Trusted {
		fmt.Fprintf(w, "  %s  ino %d dev %d:%d sha256 %x  [%s]\n", e.Path, e.Key.Ino, e.Key.Dev>>20, e.Key.Dev&0xfffff, e.SHA256[:8], e.Check())
	}
	for _, id := range s.TrustedCgroups {
		fmt.Fprintf(w, "trusted cgroup: id %d\n", id)
	}
	fmt.Fprintf(w, "%-18s %10s %10s %12s %11s\n", "hook", "allowed", "denied", "out-of-scope", "events-lost")
	for h := 0; h < bpfguard.NumHooks; h++ {
		name := bpfguard.Hook(h).String()
		c := s.Counts[name]
		fmt.Fprintf(w, "%-18s %10d %10d %12d %11d\n", name, c.Allowed, c.Denied, c.OutOfScope, c.EventsLost)
	}
}
