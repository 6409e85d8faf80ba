/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Types shared by execve.bpf.c and the Go package bpf/execve. */
#ifndef BPFLAB_EXECVE_H
#define BPFLAB_EXECVE_H

#define EXEC_COMM_LEN 16
#define EXEC_FILENAME_LEN 256

/* exec_event.flags */
enum exec_flag {
	EXEC_F_EXECVEAT = 1,       /* came from execveat(2), not execve(2) */
	EXEC_F_FILENAME_FAULT = 2, /* filename could not be read; left empty */
};

/* One record per execve/execveat entry, sent to user space. */
struct exec_event {
	__u32 pid;  /* thread id */
	__u32 tgid; /* process id */
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 flags;
	char comm[EXEC_COMM_LEN];
	char filename[EXEC_FILENAME_LEN];
};

/* Indices into the diag array: things that went wrong in the program. */
enum exec_diag {
	EXEC_DIAG_COUNT_FAILED = 0,  /* exec_counts could not be updated, even after retries */
	EXEC_DIAG_EVENT_DROPPED = 1, /* ring buffer full / perf output failed */
	EXEC_DIAG_FILENAME_FAULT = 2,
	EXEC_DIAG_COUNT_RETRIED = 3,  /* an insert failed transiently and was retried */
	EXEC_DIAG_COUNT_LAST_ERR = 4, /* errno of the last failed insert (not a counter) */
	EXEC_DIAG_COUNT_RACED = 5,    /* an insert lost the race to another CPU (EEXIST) */
	EXEC_DIAG_MAX = 6,
};

#endif
