//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A tiny project that is not bpflab: an XDP packet counter, tracepoint
 * programs that need newer kernels (bpf_get_attach_cookie 5.15;
 * bpf_loop 5.17 with a callback, which 5.10's verifier cannot even
 * parse), and a CO-RE read of a field no kernel has. Build:
 *   clang-19 -O2 -g -target bpf -fdebug-compilation-dir=. \
 *     -I/usr/include/x86_64-linux-gnu \
 *     -c counter.bpf.c -o testdata/counter.bpf.o */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&counts, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

static long step(__u64 i, void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int loop_getpid(void *ctx)
{
	bpf_loop(4, step, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getuid")
int cookie_getuid(void *ctx)
{
	return bpf_get_attach_cookie(ctx) == 0;
}

/* No kernel has this field: the relocation cannot be satisfied anywhere. */
struct task_struct___nosuch {
	int bpflab_no_such_field;
} __attribute__((preserve_access_index));

SEC("tracepoint/syscalls/sys_enter_getppid")
int core_missing(void *ctx)
{
	struct task_struct___nosuch *t = (void *)bpf_get_current_task();

	return BPF_CORE_READ(t, bpflab_no_such_field);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
