// Package firewall loads and drives the XDP firewall in firewall.bpf.c: it
// drops frames whose IPv4 or IPv6 source address lies in a blocklist of
// CIDR prefixes and counts every verdict per CPU.
//
// Verdicts:
//   - source address in a blocklist: XDP_DROP, counted Dropped. An
//     IPv4-mapped IPv6 source (::ffff:a.b.c.d) is the IPv4 host a.b.c.d and
//     is looked up in the IPv4 list only (the policy refuses mapped
//     prefixes and asks for the IPv4 form), so a blocked IPv4 host cannot
//     get in by spelling its address in IPv6;
//   - truncated Ethernet, VLAN, IPv4 or IPv6 header, IPv4 ihl < 5 or a header
//     longer than the frame, an IP version that contradicts the EtherType,
//     or more than one 802.1Q/802.1ad tag: XDP_DROP, counted Malformed. A
//     frame we cannot parse cannot be checked, and passing it would let a
//     blocked host in by malforming or stacking headers;
//   - anything that is not IP (ARP, LLDP, ...): XDP_PASS, counted NonIP;
//   - everything else: XDP_PASS.
//
// Only the headers up to the source address are parsed: IPv4 options (which
// must fit in the frame, as ihl says) and IPv6 extension headers are not
// looked at, and every fragment is judged by its source like any packet
// (each fragment carries it). The IPv4 total length is not checked.
//
// Counters (Stats): every frame counts exactly once in Passed, Dropped or
// Malformed. VLAN counts each frame whose first tag is complete, also when a
// second tag follows and the frame is Malformed; IPv4 and IPv6 count frames
// whose IP header is well formed (they end Passed or Dropped); NonIP counts
// passed non-IP frames; NoList counts each lookup that found its blocklist
// slot empty (the frame then passes: fail open). The package
// bpf/firewall/model is this policy written as plain Go, the oracle the
// scenarios judge every kernel against.
//
// Each family's blocklist is two maps: single hosts (/32, /128, most of a
// threat feed) in a preallocated hash map, looked up first, and all other
// prefixes in an LPM trie, whose lookup walks one node per bit (4.5x a
// no-op program at 1M /32 entries; the hash hit costs 2.3x). Each map sits
// in an array-of-maps with one slot per generation (hosts_v4, blocklist_v4,
// hosts_v6, blocklist_v6), and the one-element map "active" names the live
// generation, read once per frame. Block and Unblock edit the live maps in
// place (a full host map is swapped for a copy twice its size); Replace
// builds four fresh maps in the idle slots and flips "active" with a single
// map update, so the running program never sees a half-built set or a mix
// of two sets. Prefixes must be
// canonical (no host bits set); anything else is rejected, naming the input.
//
// With Options.PinDir set, the maps are pinned in bpffs by name and a later
// Load reuses the pinned (live) set instead of creating an empty one, which
// is how a separate policy process reaches the firewall that is running.
package firewall
