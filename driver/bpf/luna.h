/* Layout shared by the BPF programs (luna.bpf.c) and the TypeScript side (driver/layout.ts).
 * Change both together: driver/layout.ts mirrors every offset below. */
#ifndef LUNA_H
#define LUNA_H

#define PATH_BUF 256   /* event path fields, NUL-terminated */
#define KPATH 254      /* path bytes compared in the kernel (KERNEL_PATH_MAX) */
#define ARGS_BUF 512
#define MAX_DEPTH 32   /* dentry components walked for a path (power of 2) */

/* Event classes = index of KERNEL_EVENT_TYPES (schemas/kernel-tables.ts) + 1. */
#define CLS_EXEC 1
#define CLS_EXIT 2
#define CLS_FCREATE 3
#define CLS_FDELETE 4
#define CLS_FOPEN 5
#define CLS_CONNECT 6
#define CLS_PACCESS 7
#define NCLS 8

/* Raw event kinds (ev_hdr.type). */
#define EV_EXEC 1
#define EV_EXIT 2
#define EV_FCREATE 3
#define EV_FDELETE 4
#define EV_RENAME 5
#define EV_CONNECT 6
#define EV_ACCEPT 7
#define EV_PTRACE 8
#define EV_FORK 9        /* target_pid = child tgid, ino = child start time */

/* ev_hdr.flags */
#define F_BLOCKED 1      /* the kernel enforced a deny (SIGKILL / EPERM) */
#define F_WOULD_BLOCK 2  /* a deny entry hit but enforcement is off (dry run / out of scope) */
#define F_HIT 4          /* some kernel entry hit */
#define F_TRUNC 8        /* a path was truncated */
#define F_REL 16         /* path is relative: cwd is filled */
#define F_NOTABLES 32    /* no tables loaded (fail-open) */
#define F_LSM 64         /* denied by the LSM hook (EPERM) */
#define F_LOADER 128     /* the decision was on the argument of `ld.so <binary>` */

/* table value flags */
#define T_BLOCK 1
#define T_KILL 2
#define T_REPORT 4

/* gen_cfg.has[cls] bits: which tables hold entries of that class */
#define H_EXACT 1
#define H_PREFIX 2
#define H_SUFFIX 4
#define H_INODE 8
#define H_PORT 16
#define H_V4 32
#define H_V6 64

/* prefilter modes */
#define P_NONE 0
#define P_MATCHES 1
#define P_ALL 2

/* stats (per-CPU u64 array) */
#define S_SEEN 0        /* + cls */
#define S_SENT 8        /* + cls */
#define S_FILTERED 16   /* + cls: dropped by the prefilter */
#define S_LOST 24       /* + cls: ring buffer full */
#define S_BLOCKED 32
#define S_WOULD_BLOCK 33
#define S_OUT_OF_SCOPE 34
#define S_EXEMPT 35
#define NSTATS 40

struct ev_hdr {
	__u32 type;
	__u32 flags;
	__u32 pid;          /* tgid */
	__u32 tid;
	__u32 ppid;         /* parent tgid */
	__u32 uid;
	__u64 ts;           /* bpf_ktime_get_boot_ns */
	__u64 start_time;   /* task start (boot ns): ProcessGuid */
	__u64 pstart_time;  /* parent start (boot ns) */
	__u64 cgid;
	__u32 rule;         /* kernel rule index that hit, or 0xffffffff */
	__u32 gen;
	char comm[16];
};                      /* 80 bytes */

struct event {
	struct ev_hdr h;    /* 0 */
	__u64 dev;          /* 80 */
	__u64 ino;          /* 88 */
	__u32 path_len;     /* 96 */
	__u32 path2_len;    /* 100 */
	__u32 cwd_len;      /* 104 */
	__u32 args_len;     /* 108 */
	__u32 exit_code;    /* 112 */
	__u32 target_pid;   /* 116 */
	__u32 access;       /* 120 ptrace request / access mask */
	__u16 family;       /* 124 */
	__u16 proto;        /* 126 */
	__u16 sport;        /* 128 host order */
	__u16 dport;        /* 130 host order */
	__u32 pad;          /* 132 */
	__u8 saddr[16];     /* 136 */
	__u8 daddr[16];     /* 152 */
	char path[PATH_BUF];  /* 168 */
	char path2[PATH_BUF]; /* 424 */
	char cwd[PATH_BUF];   /* 680 */
	char args[ARGS_BUF];  /* 936 */
	char pexe[PATH_BUF];  /* 1448: parent's executable (exec events) */
};                      /* 1704 */
#define SMALL_EVENT 168 /* events without strings stop at path */
#define NET_EVENT 424   /* network events carry path (unused) */

struct path_key { __u8 data[2 + KPATH]; };                 /* gen, cls, path */
struct lpm_path_key { __u32 prefixlen; __u8 data[2 + KPATH]; };
struct inode_key { __u8 gen; __u8 cls; __u8 pad[6]; __u64 dev; __u64 ino; };
struct port_key { __u8 gen; __u8 cls; __u16 port; };
struct v4_key { __u32 prefixlen; __u8 data[8]; };          /* gen, addr[4], pad */
struct v6_key { __u32 prefixlen; __u8 data[20]; };         /* gen, addr[16], pad */
struct tval { __u32 rule; __u32 flags; };

struct gen_cfg {
	__u32 loaded;
	__u32 prefilter[NCLS];
	__u32 has[NCLS];
};
struct glob_cfg {
	__u32 active_gen;
	__u32 agent_tgid;
	__u64 scope_cgid;   /* 0: whole system */
	__u32 scope_level;
	__u32 enforce;      /* 0 dry run, 1 enforce inside scope, 2 enforce system-wide (needs no scope) */
	__u32 wake_bytes;   /* wake the reader once this much data waits */
	__u32 pad;
};

#endif
