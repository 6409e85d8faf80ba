package firewall

import "fmt"

// Stats are the firewall's counters summed over all CPUs.
// Passed + Dropped + Malformed is the number of frames seen.
type Stats struct {
	Passed    uint64 // XDP_PASS
	Dropped   uint64 // XDP_DROP because the source is blocked
	Malformed uint64 // XDP_DROP because headers were truncated or invalid
	NonIP     uint64 // neither IPv4 nor IPv6 (passed)
	VLAN      uint64 // first 802.1Q/802.1ad tag complete (a second tag is Malformed)
	IPv4      uint64 // well-formed IPv4
	IPv6      uint64 // well-formed IPv6
	NoList    uint64 // lookups that found the blocklist slot empty (fail open)
}

// Stats reads and sums the per-CPU counters.
func (fw *Firewall) Stats() (Stats, error) {
	var s Stats
	fields := []struct {
		idx firewallFwStat
		dst *uint64
	}{
		{firewallFwStatFW_STAT_PASSED, &s.Passed},
		{firewallFwStatFW_STAT_DROPPED, &s.Dropped},
		{firewallFwStatFW_STAT_MALFORMED, &s.Malformed},
		{firewallFwStatFW_STAT_NON_IP, &s.NonIP},
		{firewallFwStatFW_STAT_VLAN, &s.VLAN},
		{firewallFwStatFW_STAT_IPV4, &s.IPv4},
		{firewallFwStatFW_STAT_IPV6, &s.IPv6},
		{firewallFwStatFW_STAT_NO_LIST, &s.NoList},
	}
	for _, f := range fields {
		var perCPU []uint64
		if err := fw.objs.Stats.Lookup(uint32(f.idx), &perCPU); err != nil {
			return Stats{}, fmt.Errorf("read firewall counter %d: %w", f.idx, err)
		}
		for _, v := range perCPU {
			*f.dst += v
		}
	}
	return s, nil
}
