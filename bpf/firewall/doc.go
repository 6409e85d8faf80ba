// Package firewall loads and drives the XDP firewall in firewall.bpf.c: it
// drops frames whose IPv4 or IPv6 source address lies in a blocklist of
// CIDR prefixes and counts every verdict per CPU.
//
// Each blocklist is an LPM trie held in slot 0 of a one-slot array-of-maps
// (blocklist_v4, blocklist_v6). Block and Unblock edit the trie in place;
// Replace builds fresh tries and swaps each in with a single map update, so
// the running program never sees a half-built set.
//
// With Options.PinDir set, the maps are pinned in bpffs by name and a later
// Load reuses the pinned (live) set instead of creating an empty one, which
// is how a separate policy process reaches the firewall that is running.
package firewall
