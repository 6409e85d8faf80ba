/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Types shared by core.bpf.c and the Go package bpf/core. */
#ifndef BPFLAB_CORE_H
#define BPFLAB_CORE_H

/* Which task_struct field the program read the state from. */
enum core_field {
	CORE_FIELD_NONE = 0,      /* program never ran */
	CORE_FIELD_STATE_NEW = 1, /* task_struct->__state (5.14 and later) */
	CORE_FIELD_STATE_OLD = 2, /* task_struct->state (before 5.14) */
};

/* What the program saw on the last call of the target process. */
struct core_result {
	__u64 hits;      /* calls seen from the target process */
	__s64 state;     /* task state read through the chosen field */
	__u32 field;     /* enum core_field */
	__u32 pid;       /* thread id from bpf_get_current_pid_tgid */
	__u32 tgid;      /* process id from bpf_get_current_pid_tgid */
	__u32 task_pid;  /* task_struct->pid, read with CO-RE */
	__u32 task_tgid; /* task_struct->tgid, read with CO-RE */
	__u32 pad;
};

#endif
