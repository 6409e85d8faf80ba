/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Types shared by firewall.bpf.c and the Go package bpf/firewall. */
#ifndef BPFLAB_FIREWALL_H
#define BPFLAB_FIREWALL_H

/* Capacity of one blocklist (per address family): a million-entry policy
 * fits. The tries are not preallocated, so this costs nothing unused. */
#define FW_MAX_RULES (1 << 20)

/* LPM trie keys: prefixlen first, then the address in network byte order. */
struct fw_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct fw_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Exact-host keys (/32 and /128 entries live in hash maps, looked up
 * before the trie): the address in network byte order. */
struct fw_host_v4 {
	__u8 addr[4];
};

struct fw_host_v6 {
	__u8 addr[16];
};

/* The host maps are preallocated (filling one costs half as much as a
 * trie or an unpreallocated hash) and sized to their set by user space;
 * this is the size of the template and of an empty set. Kernels >= 5.10
 * accept inner hash maps of any size. */
#define FW_HOSTS_MIN 4096

/* Slots of the outer maps: two generations, the live one named by the
 * one-element "active" array. A whole-set swap fills the other slot of
 * every outer map, then flips "active" with one update. */
#define FW_GENERATIONS 2

/* Indices into the per-CPU stats array. passed + dropped + malformed counts
 * every frame once; the others classify frames further. */
enum fw_stat {
	FW_STAT_PASSED = 0,   /* XDP_PASS */
	FW_STAT_DROPPED = 1,  /* XDP_DROP: source address in a blocklist */
	FW_STAT_MALFORMED = 2, /* XDP_DROP: truncated or invalid headers */
	FW_STAT_NON_IP = 3,   /* neither IPv4 nor IPv6 (ARP, LLDP, ...), passed */
	FW_STAT_VLAN = 4,     /* first 802.1Q/802.1ad tag complete */
	FW_STAT_IPV4 = 5,     /* well-formed IPv4 */
	FW_STAT_IPV6 = 6,     /* well-formed IPv6 */
	FW_STAT_NO_LIST = 7,  /* a lookup found its slot empty (fail open) */
	FW_STAT_MAX = 8,
};

#endif
