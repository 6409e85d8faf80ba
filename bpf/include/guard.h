/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Types shared by guard.bpf.c and the Go packages bpf/guard and internal/guard. */
#ifndef BPFLAB_GUARD_H
#define BPFLAB_GUARD_H

#define GUARD_COMM_LEN 16
/* Deepest cgroup nesting the scope/trust walk looks at. */
#define GUARD_MAX_CGROUP_DEPTH 16

/* Which LSM hook took the decision (guard_event.hook, counter rows). */
enum guard_hook {
	GUARD_HOOK_BPF = 0,         /* lsm/bpf: every bpf(2) command, 5.10+ */
	GUARD_HOOK_PROG_LOAD = 1,   /* lsm/bpf_prog_load, where the kernel has it */
	GUARD_HOOK_MAP_CREATE = 2,  /* lsm/bpf_map_create, where the kernel has it */
	GUARD_HOOK_TOKEN_CREATE = 3,/* lsm/bpf_token_create, where the kernel has it */
	GUARD_HOOK_INODE = 4,       /* unlink/rename of a protected pin, umount of its bpffs */
	GUARD_HOOK_MAX = 5,
};

/* Counter columns; counters[hook * GUARD_VERDICT_MAX + verdict]. */
enum guard_verdict {
	GUARD_ALLOWED = 0,      /* in scope, trusted */
	GUARD_DENIED = 1,       /* in scope, untrusted: -EPERM */
	GUARD_OUT_OF_SCOPE = 2, /* caller outside the enforced cgroup */
	GUARD_EVENT_LOST = 3,   /* a denial whose event did not fit the ring buffer */
	GUARD_VERDICT_MAX = 4,
};

enum guard_reason {
	GUARD_REASON_UNTRUSTED = 1, /* a gated command from an untrusted process */
	GUARD_REASON_PROTECTED = 2, /* touches the guard's own programs, maps, links or pins */
};

/* guard_event.cmd for the inode hooks (bpf commands are < 64). */
enum guard_op {
	GUARD_OP_UNLINK = 1001,
	GUARD_OP_RENAME = 1002,
	GUARD_OP_UMOUNT = 1003,
};

/* Kinds of guard_object_key: ids of progs, maps and links are separate. */
enum guard_object_kind {
	GUARD_OBJ_PROG = 1,
	GUARD_OBJ_MAP = 2,
	GUARD_OBJ_LINK = 3,
};

/* A trusted executable: the file's identity at `guard enable` time. Any
 * change to the inode (write, chmod, link) moves its ctime and so revokes
 * the trust: the kernel fails closed on a modified binary. */
struct guard_exe_key {
	__u64 ino;
	__u32 dev; /* kernel dev_t: major << 20 | minor */
	__u32 ctime_nsec;
	__s64 ctime_sec;
};

/* What user space recorded for a trusted executable (not read by the
 * kernel; `guard status` re-hashes the file and compares). */
#define GUARD_PATH_LEN 224
struct guard_exe_val {
	__u8 sha256[32];
	char path[GUARD_PATH_LEN]; /* as given to `guard enable`, NUL-padded */
};

struct guard_object_key {
	__u32 kind; /* enum guard_object_kind */
	__u32 id;
};

/* A protected pin (ino != 0) or the bpffs holding the pins (ino == 0). */
struct guard_inode_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

/* One denial, sent to user space through the ring buffer. */
struct guard_event {
	__u64 cgroup_id; /* the caller's cgroup v2 id */
	__u64 exe_ino;   /* 0 for a kernel thread */
	__u32 exe_dev;
	__u32 pid;  /* thread id */
	__u32 tgid; /* process id */
	__u32 uid;
	__u32 cmd;    /* bpf command, or enum guard_op */
	__u32 hook;   /* enum guard_hook */
	__u32 reason; /* enum guard_reason */
	__u32 detail; /* object id for REASON_PROTECTED; prog/map type in the object hooks */
	char comm[GUARD_COMM_LEN];
};

#endif
