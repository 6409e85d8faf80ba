package firewall

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// minHosts is FW_HOSTS_MIN: the template's size and an empty set's.
const minHosts = 4096

// hostCapacity sizes a host map for n hosts: a quarter spare for later
// blocks, at least minHosts, at most MaxRules. The maps are preallocated,
// so their size is memory and creation time.
func hostCapacity(n int) uint32 {
	c := max(n+n/4, minHosts)
	return uint32(min(c, MaxRules))
}

// hostSpec is spec sized for n hosts.
func hostSpec(spec *ebpf.MapSpec, n int) *ebpf.MapSpec {
	s := spec.Copy()
	s.MaxEntries = hostCapacity(n)
	return s
}

// isFull reports whether an update failed because a preallocated map has
// no free element.
func isFull(err error) bool { return errors.Is(err, unix.E2BIG) }

// grow swaps in, for the host part pt, a map of twice live's capacity
// holding the same hosts; the other three maps stay as they are, and the
// swap is the same generation flip as Replace's. The caller holds the
// writer lock and closes the returned map.
func (fw *Firewall) grow(pt *part, live *ebpf.Map) (*ebpf.Map, error) {
	info, err := live.Info()
	if err != nil {
		return nil, fmt.Errorf("grow %s: %w", pt.name, err)
	}
	if info.MaxEntries >= MaxRules {
		return nil, fmt.Errorf("%s is full: it holds its capacity of %d hosts", pt.name, MaxRules)
	}
	n := int(min(2*info.MaxEntries, MaxRules))
	var bigger *ebpf.Map
	switch pt {
	case &fw.v4.hosts:
		bigger, err = copyHosts[firewallFwHostV4](pt.spec, live, n)
	default:
		bigger, err = copyHosts[firewallFwHostV6](pt.spec, live, n)
	}
	if err != nil {
		return nil, fmt.Errorf("grow %s to %d hosts: %w", pt.name, n, err)
	}
	gen, err := fw.generation()
	if err != nil {
		bigger.Close()
		return nil, err
	}
	fresh := make([]*ebpf.Map, 0, 4)
	defer func() {
		for _, m := range fresh {
			if m != bigger {
				m.Close()
			}
		}
	}()
	for _, p := range fw.parts() {
		if p == pt {
			fresh = append(fresh, bigger)
			continue
		}
		m, err := p.open(fw.pinDir, gen)
		if err != nil {
			bigger.Close()
			return nil, err
		}
		fresh = append(fresh, m)
	}
	if err := fw.swapAll(fresh); err != nil {
		bigger.Close()
		return nil, fmt.Errorf("grow %s: %w", pt.name, err)
	}
	return bigger, nil
}

// copyHosts makes a host map with room for capacity hosts (the spare of
// hostCapacity left out: growth doubles) holding live's hosts.
func copyHosts[K any](spec *ebpf.MapSpec, live *ebpf.Map, capacity int) (*ebpf.Map, error) {
	var keys []K
	if err := eachKey(live, func(k K) { keys = append(keys, k) }); err != nil {
		return nil, err
	}
	s := spec.Copy()
	s.MaxEntries = uint32(capacity)
	m, _, err := buildInner(s, keys, false)
	return m, err
}
