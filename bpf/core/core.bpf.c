//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* CO-RE portability probe: reads the calling task's state through
 * task_struct->__state where the kernel has it (5.14 and later) and through
 * the older task_struct->state otherwise, choosing with
 * bpf_core_field_exists. Both layouts are described by local "flavour"
 * types holding only the fields used (the ___new/___old suffix is ignored
 * when the loader matches them against the kernel's task_struct). Using
 * vmlinux.h's full task_struct instead would drag its whole type graph
 * into the object's BTF, where clang 19 orders some forward declarations
 * differently depending on the output path: the build would not be
 * reproducible. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "core.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader: only this process is recorded. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct core_result);
} result SEC(".maps");

/* bpf2go generates Go types only for types present in the BTF. */
const enum core_field *unused_core_field __attribute__((unused));

struct task_struct___new {
	unsigned int __state;
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* getppid: cheap, side-effect free, and not called by the Go runtime, so
 * the test decides exactly when the program runs. */
SEC("tp/syscalls/sys_enter_getppid")
int task_state(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct___new *task;
	struct core_result *r;
	__u32 zero = 0;

	if ((id >> 32) != target_tgid)
		return 0;
	r = bpf_map_lookup_elem(&result, &zero);
	if (!r)
		return 0;
	task = (void *)bpf_get_current_task();
	if (bpf_core_field_exists(task->__state)) {
		r->field = CORE_FIELD_STATE_NEW;
		r->state = BPF_CORE_READ(task, __state);
	} else {
		struct task_struct___old *old = (void *)task;

		r->field = CORE_FIELD_STATE_OLD;
		r->state = BPF_CORE_READ(old, state);
	}
	r->pid = (__u32)id;
	r->tgid = id >> 32;
	r->task_pid = BPF_CORE_READ(task, pid);
	r->task_tgid = BPF_CORE_READ(task, tgid);
	__sync_fetch_and_add(&r->hits, 1);
	return 0;
}
