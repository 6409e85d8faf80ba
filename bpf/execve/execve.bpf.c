//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* execve tracker: counts execve/execveat calls per process (TGID) and sends
 * one event per call to user space, through a ring buffer where the kernel
 * has one (>= 5.8) and a perf event array otherwise. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "execve.h"

#define EEXIST 17 /* vmlinux.h carries no errno macros */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load; the verifier prunes the other branch, so
 * the ring buffer helpers are never checked on kernels without them. */
const volatile bool use_ringbuf = true;
/* Only events are filtered by this (0 = all); counts always cover everyone. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);   /* tgid */
	__type(value, __u64); /* execve + execveat calls */
} exec_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events_perf SEC(".maps");

/* The event is too large to build on the stack next to everything else,
 * so the perf path assembles it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EXEC_DIAG_MAX);
	__type(key, __u32);
	__type(value, __u64);
} diag SEC(".maps");

/* bpf2go generates Go types only for types present in the BTF. */
const struct exec_event *unused_exec_event __attribute__((unused));
const enum exec_flag *unused_exec_flag __attribute__((unused));
const enum exec_diag *unused_exec_diag __attribute__((unused));

static __always_inline void bump(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&diag, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Insert-or-increment that stays exact when several CPUs exec in the same
 * process at once: only one NOEXIST insert can win, the losers add. An
 * insert can also fail transiently (seen on 5.10 with four threads racing
 * on two CPUs), so a failed round is retried a few times and its errno
 * kept in diag for the report. */
#define COUNT_ATTEMPTS 4

static __always_inline void count_exec(__u32 tgid)
{
	__u32 idx = EXEC_DIAG_COUNT_LAST_ERR;
	__u64 one = 1, *cnt, *last;
	/* int, not long: on 5.10 the map op's int result reaches the program
	 * zero-extended (a long read -E2BIG back as 0xffffffff00000007, and
	 * -EEXIST never compared equal), found by bpflab mutate's tests. */
	int err = 0;

	for (int i = 0; i < COUNT_ATTEMPTS; i++) {
		cnt = bpf_map_lookup_elem(&exec_counts, &tgid);
		if (cnt) {
			__sync_fetch_and_add(cnt, 1);
			return;
		}
		err = bpf_map_update_elem(&exec_counts, &tgid, &one, BPF_NOEXIST);
		if (!err)
			return;
		if (err == -EEXIST) {
			/* Another CPU inserted it: the next lookup adds. Counted
			 * so a test can show it made this race happen. */
			bump(EXEC_DIAG_COUNT_RACED);
			continue;
		}
		bump(EXEC_DIAG_COUNT_RETRIED);
		last = bpf_map_lookup_elem(&diag, &idx);
		if (last)
			*last = -err;
	}
	bump(EXEC_DIAG_COUNT_FAILED);
}

static __always_inline void fill(struct exec_event *e, __u64 id, const char *filename, __u32 flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->flags = flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename) < 0) {
		e->filename[0] = '\0';
		e->flags |= EXEC_F_FILENAME_FAULT;
		bump(EXEC_DIAG_FILENAME_FAULT);
	}
}

static __always_inline int handle(void *ctx, const char *filename, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, zero = 0;
	struct exec_event *e;

	count_exec(tgid);
	if (target_tgid && tgid != target_tgid)
		return 0;

	if (use_ringbuf) {
		e = bpf_ringbuf_reserve(&events_rb, sizeof(*e), 0);
		if (!e) {
			bump(EXEC_DIAG_EVENT_DROPPED);
			return 0;
		}
		fill(e, id, filename, flags);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	fill(e, id, filename, flags);
	if (bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, e, sizeof(*e)))
		bump(EXEC_DIAG_EVENT_DROPPED);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int trace_execve(struct trace_event_raw_sys_enter *ctx)
{
	/* execve(filename, argv, envp) */
	return handle(ctx, (const char *)ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int trace_execveat(struct trace_event_raw_sys_enter *ctx)
{
	/* execveat(dirfd, filename, argv, envp, flags) */
	return handle(ctx, (const char *)ctx->args[1], EXEC_F_EXECVEAT);
}
