// Package firewall loads and drives the XDP firewall in firewall.bpf.c: it
// drops frames whose IPv4 or IPv6 source address lies in a blocklist of
// CIDR prefixes and counts every verdict per CPU.
//
// Verdicts:
//   - source address in a blocklist: XDP_DROP, counted Dropped;
//   - truncated Ethernet, VLAN, IPv4 or IPv6 header, IPv4 ihl < 5 or a header
//     longer than the frame, an IP version that contradicts the EtherType,
//     or more than one 802.1Q/802.1ad tag: XDP_DROP, counted Malformed. A
//     frame we cannot parse cannot be checked, and passing it would let a
//     blocked host in by malforming or stacking headers;
//   - anything that is not IP (ARP, LLDP, ...): XDP_PASS, counted NonIP;
//   - everything else: XDP_PASS.
//
// Each blocklist is an LPM trie held in slot 0 of a one-slot array-of-maps
// (blocklist_v4, blocklist_v6). Block and Unblock edit the trie in place;
// Replace builds fresh tries and swaps each in with a single map update, so
// the running program never sees a half-built set. Prefixes must be
// canonical (no host bits set); anything else is rejected, naming the input.
//
// With Options.PinDir set, the maps are pinned in bpffs by name and a later
// Load reuses the pinned (live) set instead of creating an empty one, which
// is how a separate policy process reaches the firewall that is running.
package firewall
