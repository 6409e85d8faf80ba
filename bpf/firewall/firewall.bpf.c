//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* XDP firewall: drop frames whose IPv4/IPv6 source address lies in a
 * blocklist. Per family, single hosts (/32, /128: most of a threat feed)
 * are in a hash map, looked up first; other prefixes in an LPM trie, whose
 * lookup walks one node per bit and costs 4x a no-op program at 1M /32s.
 * Both sit in array-of-maps with one slot per generation; the generation
 * the program uses is read once per frame from "active", so user space
 * swaps all four maps with one update and a frame never sees a mix. */
/* No CO-RE here: xdp_md is UAPI (the verifier rewrites context accesses)
 * and the headers are wire formats, so nothing needs relocating against
 * kernel BTF, and a load skips decoding it (~1 s per process under TCG). */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "firewall.h"

/* vmlinux.h carries types, not macros. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct fw_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct inner_v4 {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FW_MAX_RULES);
	__type(key, struct fw_lpm_v4);
	__type(value, __u8);
};

struct inner_v6 {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FW_MAX_RULES);
	__type(key, struct fw_lpm_v6);
	__type(value, __u8);
};

/* Preallocated, and sized per set by user space (see FW_HOSTS_MIN). */
struct hosts_inner_v4 {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_HOSTS_MIN);
	__type(key, struct fw_host_v4);
	__type(value, __u8);
};

struct hosts_inner_v6 {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_HOSTS_MIN);
	__type(key, struct fw_host_v6);
	__type(value, __u8);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENERATIONS);
	__type(key, __u32);
	__array(values, struct inner_v4);
} blocklist_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENERATIONS);
	__type(key, __u32);
	__array(values, struct inner_v6);
} blocklist_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENERATIONS);
	__type(key, __u32);
	__array(values, struct hosts_inner_v4);
} hosts_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FW_GENERATIONS);
	__type(key, __u32);
	__array(values, struct hosts_inner_v6);
} hosts_v6 SEC(".maps");

/* The live generation (0 or 1). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Keep these types complete in the BTF: the inner map definitions only
 * reference them through pointers, and bpf2go generates Go types from them. */
const struct fw_lpm_v4 *unused_fw_lpm_v4 __attribute__((unused));
const struct fw_lpm_v6 *unused_fw_lpm_v6 __attribute__((unused));
const struct fw_host_v4 *unused_fw_host_v4 __attribute__((unused));
const struct fw_host_v6 *unused_fw_host_v6 __attribute__((unused));
const enum fw_stat *unused_fw_stat __attribute__((unused));

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	/* Per-CPU slot: no other CPU writes it, a plain add is enough. */
	if (v)
		*v += 1;
}

static __always_inline int verdict(__u32 idx, int action)
{
	count(idx);
	return action;
}

/* The generation this frame uses; read once, so the host map and the
 * trie it looks up belong to the same set. */
static __always_inline __u32 generation(void)
{
	__u32 zero = 0;
	__u32 *gen = bpf_map_lookup_elem(&active, &zero);

	return gen && *gen ? 1 : 0;
}

/* Looks the address up in the host map, then the trie, of generation gen. */
static __always_inline int blocked(void *hosts_outer, void *trie_outer, void *host, void *prefix)
{
	__u32 gen = generation();
	void *hosts = bpf_map_lookup_elem(hosts_outer, &gen);
	void *trie = bpf_map_lookup_elem(trie_outer, &gen);

	if (!hosts || !trie) {
		count(FW_STAT_NO_LIST);
		return 0;
	}
	if (bpf_map_lookup_elem(hosts, host))
		return 1;
	return bpf_map_lookup_elem(trie, prefix) != NULL;
}

/*
 * The version/IHL nibbles are read from the header's first byte, not through
 * the iphdr/ipv6hdr bitfields: vmlinux.h comes from an x86 kernel and lays
 * the bitfields out little-endian (ihl first), which a big-endian build
 * (bpfeb, s390x) allocates from the other end of the byte, swapping version
 * and IHL. A byte is a byte in either order.
 */
static __always_inline __u8 first_nibble(const void *hdr)
{
	return *(const __u8 *)hdr >> 4;
}

static __always_inline int check_v4(void *cur, void *data_end)
{
	struct iphdr *ip = cur;
	struct fw_lpm_v4 key = { .prefixlen = 32 };
	struct fw_host_v4 host;
	__u8 ihl;

	if ((void *)(ip + 1) > data_end)
		return verdict(FW_STAT_MALFORMED, XDP_DROP);
	ihl = *(__u8 *)ip & 0x0f;
	if (first_nibble(ip) != 4 || ihl < 5)
		return verdict(FW_STAT_MALFORMED, XDP_DROP);
	/* Options included: the whole header must be in the frame. */
	if (cur + ihl * 4 > data_end)
		return verdict(FW_STAT_MALFORMED, XDP_DROP);
	count(FW_STAT_IPV4);
	__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
	__builtin_memcpy(host.addr, &ip->saddr, sizeof(host.addr));
	if (blocked(&hosts_v4, &blocklist_v4, &host, &key))
		return verdict(FW_STAT_DROPPED, XDP_DROP);
	return verdict(FW_STAT_PASSED, XDP_PASS);
}

/* ::ffff:0:0/96: ten zero bytes, then 0xff 0xff. */
static __always_inline int v4_mapped(const __u8 *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return 0;
	return a[10] == 0xff && a[11] == 0xff;
}

static __always_inline int check_v6(void *cur, void *data_end)
{
	struct ipv6hdr *ip6 = cur;
	struct fw_lpm_v6 key = { .prefixlen = 128 };
	struct fw_host_v6 host;

	if ((void *)(ip6 + 1) > data_end)
		return verdict(FW_STAT_MALFORMED, XDP_DROP);
	if (first_nibble(ip6) != 6)
		return verdict(FW_STAT_MALFORMED, XDP_DROP);
	count(FW_STAT_IPV6);
	__builtin_memcpy(key.addr, &ip6->saddr, sizeof(key.addr));
	/* An IPv4-mapped source (::ffff:a.b.c.d) is the IPv4 host a.b.c.d:
	 * the policy refuses mapped prefixes and asks for the IPv4 form, so
	 * the IPv4 lists are the ones that decide. Otherwise a blocked IPv4
	 * host would get in by spelling its address in IPv6. */
	if (v4_mapped(key.addr)) {
		struct fw_lpm_v4 key4 = { .prefixlen = 32 };
		struct fw_host_v4 host4;

		__builtin_memcpy(key4.addr, &key.addr[12], sizeof(key4.addr));
		__builtin_memcpy(host4.addr, &key.addr[12], sizeof(host4.addr));
		if (blocked(&hosts_v4, &blocklist_v4, &host4, &key4))
			return verdict(FW_STAT_DROPPED, XDP_DROP);
		return verdict(FW_STAT_PASSED, XDP_PASS);
	}
	__builtin_memcpy(host.addr, &ip6->saddr, sizeof(host.addr));
	if (blocked(&hosts_v6, &blocklist_v6, &host, &key))
		return verdict(FW_STAT_DROPPED, XDP_DROP);
	return verdict(FW_STAT_PASSED, XDP_PASS);
}

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cur;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return verdict(FW_STAT_MALFORMED, XDP_DROP);
	proto = eth->h_proto;
	cur = eth + 1;

	if (is_vlan(proto)) {
		struct fw_vlan_hdr *vh = cur;

		if ((void *)(vh + 1) > data_end)
			return verdict(FW_STAT_MALFORMED, XDP_DROP);
		count(FW_STAT_VLAN);
		proto = vh->encap_proto;
		cur = vh + 1;
		/* A second tag would hide the source address from us; passing
		 * it would let a blocked host in by stacking tags. */
		if (is_vlan(proto))
			return verdict(FW_STAT_MALFORMED, XDP_DROP);
	}

	if (proto == bpf_htons(ETH_P_IP))
		return check_v4(cur, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return check_v6(cur, data_end);

	count(FW_STAT_NON_IP);
	return verdict(FW_STAT_PASSED, XDP_PASS);
}
