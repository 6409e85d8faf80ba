//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* guard: a BPF LSM policy that lets only trusted loaders put programs into
 * the kernel. The lsm/bpf hook (every kernel since 5.7) sees each bpf(2)
 * command before the kernel acts on it; commands that load, create, attach,
 * detach, pin or open BPF objects are refused (-EPERM, plus an audit event)
 * unless the caller is trusted: its executable's inode identity is in
 * trusted_exes, or it runs in a cgroup listed in trusted_cgroups.
 * Everything is scoped: scope_cgroup_id == 0 enforces on the whole system,
 * otherwise only on the processes inside that cgroup v2 subtree. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "guard.h"

#define EPERM 1 /* vmlinux.h carries no errno macros */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load and frozen with the program's read-only data: nobody can
 * widen or move the scope of a running guard. */
const volatile __u64 scope_cgroup_id = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct guard_exe_key);
	__type(value, struct guard_exe_val);
} trusted_exes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64); /* cgroup v2 id */
	__type(value, __u8);
} trusted_cgroups SEC(".maps");

/* The guard's own program, map and link ids: opening them by id is refused
 * to untrusted callers (it would hand out an fd to detach the link or edit
 * the allowlist). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct guard_object_key);
	__type(value, __u8);
} protected_objects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct guard_inode_key);
	__type(value, __u8);
} protected_inodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GUARD_HOOK_MAX * GUARD_VERDICT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Emit the shared types into BTF so bpf2go generates Go for them. */
const struct guard_event *unused_guard_event __attribute__((unused));
const enum guard_hook *unused_guard_hook __attribute__((unused));
const enum guard_verdict *unused_guard_verdict __attribute__((unused));
const enum guard_reason *unused_guard_reason __attribute__((unused));
const enum guard_op *unused_guard_op __attribute__((unused));
const enum guard_object_kind *unused_guard_object_kind __attribute__((unused));

/* inode ctime moved three times in 5.10..7.x; CO-RE picks the live one. */
struct inode___ts {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));
struct inode___under {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));
struct inode___split {
	time64_t i_ctime_sec;
	u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

/* 6.13+ keeps a "ctime was queried" flag in bit 31 of the nanoseconds. */
#define GUARD_NSEC_MASK 0x3fffffff

struct subject {
	struct guard_exe_key exe;
	__u64 cgroup_id;
	bool in_scope;
	bool trusted;
};

static __always_inline void count(__u32 hook, __u32 verdict)
{
	__u32 key = hook * GUARD_VERDICT_MAX + verdict;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline void exe_identity(struct task_struct *task, struct guard_exe_key *k)
{
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);

	if (!inode)
		return;
	k->ino = BPF_CORE_READ(inode, i_ino);
	k->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (bpf_core_field_exists(((struct inode___split *)0)->i_ctime_sec)) {
		struct inode___split *in = (void *)inode;

		k->ctime_sec = BPF_CORE_READ(in, i_ctime_sec);
		k->ctime_nsec = BPF_CORE_READ(in, i_ctime_nsec) & GUARD_NSEC_MASK;
	} else if (bpf_core_field_exists(((struct inode___under *)0)->__i_ctime)) {
		struct inode___under *in = (void *)inode;

		k->ctime_sec = BPF_CORE_READ(in, __i_ctime.tv_sec);
		k->ctime_nsec = BPF_CORE_READ(in, __i_ctime.tv_nsec);
	} else {
		struct inode___ts *in = (void *)inode;

		k->ctime_sec = BPF_CORE_READ(in, i_ctime.tv_sec);
		k->ctime_nsec = BPF_CORE_READ(in, i_ctime.tv_nsec);
	}
}

/* classify fills s: is the caller inside the scope, and is it trusted
 * (by executable or by one of its cgroups)? */
static __always_inline void classify(struct task_struct *task, struct subject *s)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	bool trusted_cg = false;
	__u64 scope = scope_cgroup_id;

	s->in_scope = scope == 0;
	s->cgroup_id = BPF_CORE_READ(cg, kn, id);
	for (int i = 0; i < GUARD_MAX_CGROUP_DEPTH && cg; i++) {
		__u64 id = BPF_CORE_READ(cg, kn, id);

		if (id == scope)
			s->in_scope = true;
		if (bpf_map_lookup_elem(&trusted_cgroups, &id))
			trusted_cg = true;
		/* css is the first member of struct cgroup */
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	if (!s->in_scope)
		return;
	if (!BPF_CORE_READ(task, mm)) {
		s->trusted = true; /* a kernel thread has no executable to judge */
		return;
	}
	exe_identity(task, &s->exe);
	s->trusted = trusted_cg || bpf_map_lookup_elem(&trusted_exes, &s->exe);
}

static __always_inline void report(struct subject *s, __u32 hook, __u32 cmd, __u32 reason, __u32 detail)
{
	struct guard_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e) {
		count(hook, GUARD_EVENT_LOST);
		return;
	}
	e->cgroup_id = s->cgroup_id;
	e->exe_ino = s->exe.ino;
	e->exe_dev = s->exe.dev;
	e->pid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cmd = cmd;
	e->hook = hook;
	e->reason = reason;
	e->detail = detail;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* decide is the whole policy: out of scope or trusted passes, anything else
 * is counted, reported and refused. */
static __always_inline int decide(__u32 hook, __u32 cmd, __u32 reason, __u32 detail)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct subject s = {};

	classify(task, &s);
	if (!s.in_scope) {
		count(hook, GUARD_OUT_OF_SCOPE);
		return 0;
	}
	if (s.trusted) {
		count(hook, GUARD_ALLOWED);
		return 0;
	}
	count(hook, GUARD_DENIED);
	report(&s, hook, cmd, reason, detail);
	return -EPERM;
}

/* The commands that put code or objects into the kernel, attach or detach
 * them, or reach existing ones through bpffs. Lookups, updates through an
 * fd already held, queries and iteration stay open: an untrusted process
 * has no fd to a guarded object unless a trusted one gave it away. */
static __always_inline bool gated(int cmd)
{
	switch (cmd) {
	case BPF_MAP_CREATE:
	case BPF_PROG_LOAD:
	case BPF_OBJ_PIN:
	case BPF_OBJ_GET:
	case BPF_PROG_ATTACH:
	case BPF_PROG_DETACH:
	case BPF_RAW_TRACEPOINT_OPEN:
	case BPF_LINK_CREATE:
	case BPF_LINK_UPDATE:
	case BPF_LINK_DETACH:
	case BPF_TOKEN_CREATE:
		return true;
	}
	return false;
}

SEC("lsm/bpf")
int BPF_PROG(guard_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	struct guard_object_key key = {};

	if (gated(cmd))
		return decide(GUARD_HOOK_BPF, cmd, GUARD_REASON_UNTRUSTED, 0);
	switch (cmd) {
	case BPF_PROG_GET_FD_BY_ID:
		key.kind = GUARD_OBJ_PROG;
		break;
	case BPF_MAP_GET_FD_BY_ID:
		key.kind = GUARD_OBJ_MAP;
		break;
	case BPF_LINK_GET_FD_BY_ID:
		key.kind = GUARD_OBJ_LINK;
		break;
	default:
		return 0;
	}
	/* prog_id, map_id and link_id share the first word of the attr. */
	if (bpf_probe_read_kernel(&key.id, sizeof(key.id), attr))
		return 0;
	if (!bpf_map_lookup_elem(&protected_objects, &key))
		return 0;
	return decide(GUARD_HOOK_BPF, cmd, GUARD_REASON_PROTECTED, key.id);
}

/* The object hooks (6.9+, loaded only where the kernel BTF has them) see
 * the object being made. lsm/bpf has already refused untrusted callers, so
 * their deny counters stay at zero unless the two disagree: a cross-check. */
SEC("lsm/bpf_prog_load")
int BPF_PROG(guard_prog_load, struct bpf_prog *prog)
{
	return decide(GUARD_HOOK_PROG_LOAD, BPF_PROG_LOAD, GUARD_REASON_UNTRUSTED, BPF_CORE_READ(prog, type));
}

SEC("lsm/bpf_map_create")
int BPF_PROG(guard_map_create, struct bpf_map *map)
{
	return decide(GUARD_HOOK_MAP_CREATE, BPF_MAP_CREATE, GUARD_REASON_UNTRUSTED, BPF_CORE_READ(map, map_type));
}

SEC("lsm/bpf_token_create")
int BPF_PROG(guard_token_create)
{
	return decide(GUARD_HOOK_TOKEN_CREATE, BPF_TOKEN_CREATE, GUARD_REASON_UNTRUSTED, 0);
}

static __always_inline bool protected_dentry(struct dentry *d)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct guard_inode_key key = {};

	if (!inode)
		return false;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	return bpf_map_lookup_elem(&protected_inodes, &key);
}

/* Unpinning is unlink(2) on bpffs, not a bpf command: the pins holding the
 * guard's link and maps are protected here. */
SEC("lsm/inode_unlink")
int BPF_PROG(guard_inode_unlink, struct inode *dir, struct dentry *dentry)
{
	if (!protected_dentry(dentry))
		return 0;
	return decide(GUARD_HOOK_INODE, GUARD_OP_UNLINK, GUARD_REASON_PROTECTED, 0);
}

SEC("lsm/inode_rename")
int BPF_PROG(guard_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry)
{
	if (!protected_dentry(old_dentry) && !protected_dentry(new_dentry))
		return 0;
	return decide(GUARD_HOOK_INODE, GUARD_OP_RENAME, GUARD_REASON_PROTECTED, 0);
}

/* Unmounting the last mount of the bpffs holding the pins would drop them
 * and with them the link. */
SEC("lsm/sb_umount")
int BPF_PROG(guard_sb_umount, struct vfsmount *mnt, int flags)
{
	struct guard_inode_key key = {};

	key.dev = BPF_CORE_READ(mnt, mnt_sb, s_dev);
	if (!bpf_map_lookup_elem(&protected_inodes, &key))
		return 0;
	return decide(GUARD_HOOK_INODE, GUARD_OP_UMOUNT, GUARD_REASON_PROTECTED, 0);
}
