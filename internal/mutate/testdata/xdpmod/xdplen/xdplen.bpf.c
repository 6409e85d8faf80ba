//go:build ignore

// A tiny XDP program for testing `bpflab mutate` itself: it drops frames
// shorter than 64 bytes and frames starting with 0xff. No headers beyond
// what it declares, so it builds on any machine with clang.
typedef unsigned int __u32;

struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

enum xdp_action { XDP_ABORTED = 0, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT };

#define SEC(name) __attribute__((section(name), used))

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_len(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	unsigned char *p = data;
	__u32 len;

	if ((void *)(p + 1) > data_end)
		return XDP_DROP;
	if (p[0] == 0xff)
		return XDP_DROP;
	len = data_end - data;
	if (len < 64)
		return XDP_DROP;
	/* Redundant (len >= 64 here): clang drops it, so its mutants are
	 * equivalent and must be recognised as such. */
	if (len < 14)
		return XDP_ABORTED;
	return XDP_PASS;
}
