// SPDX-License-Identifier: GPL-2.0
/* Luna's BPF driver: process, file, ptrace and network events with Sysmon-for-Linux content,
 * in-kernel decision tables (exact hash, prefix LPM, reversed-string LPM for suffixes, inode
 * set, port and CIDR tables), a prefilter, and enforcement that this kernel allows without
 * LSM: SIGKILL before a denied image runs, EPERM from cgroup connect hooks.
 * Safety: every deny checks that the task is inside the scope cgroup and that tables are
 * loaded; the agent's own tgid is exempt. Tables carry a generation byte in every key and
 * the active generation is one word in glob_cfg, so a reload swaps policies atomically. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "luna.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGKILL 9
#define AT_FDCWD -100
#define O_CREAT 0100

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 8 << 20); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, struct gen_cfg); } gens SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct glob_cfg); } glob SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, NSTATS); __type(key, __u32); __type(value, __u64); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, struct path_key); __type(value, struct tval); } path_exact SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 65536); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct lpm_path_key); __type(value, struct tval); } path_prefix SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 65536); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct lpm_path_key); __type(value, struct tval); } path_suffix SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, struct inode_key); __type(value, struct tval); } inodes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, struct port_key); __type(value, struct tval); } ports SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 65536); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct v4_key); __type(value, struct tval); } nets4 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 65536); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct v6_key); __type(value, struct tval); } nets6 SEC(".maps");

/* Per-CPU scratch: the event being built and the table keys (too big for the stack). */
struct scratch {
	struct event ev;
	struct lpm_path_key key;   /* forward, lowercased */
	struct lpm_path_key rkey;  /* reversed, lowercased */
	struct path_key hkey;
	char walk[2 * PATH_BUF];
	const unsigned char *names[MAX_DEPTH];
};
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct scratch); } scratch_map SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v) *v += 1;
}

static __always_inline struct glob_cfg *get_glob(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&glob, &k);
}

static __always_inline struct gen_cfg *get_gen(struct glob_cfg *g)
{
	__u32 k = g->active_gen & 1;
	return bpf_map_lookup_elem(&gens, &k);
}

/* Is the current task inside the scope subtree (or is there no scope)? */
static __always_inline int in_scope(struct glob_cfg *g)
{
	if (!g->scope_cgid) return 1;
	return bpf_get_current_ancestor_cgroup_id(g->scope_level) == g->scope_cgid;
}

/* Submit the scratch event, waking the reader only once enough data waits (batched wakeups). */
static __always_inline void submit(struct glob_cfg *g, struct event *e, __u32 cls, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = avail + size >= g->wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	long r;
	if (size == SMALL_EVENT) r = bpf_ringbuf_output(&events, e, SMALL_EVENT, flags);
	else if (size == NET_EVENT) r = bpf_ringbuf_output(&events, e, NET_EVENT, flags);
	else r = bpf_ringbuf_output(&events, e, sizeof(*e), flags);
	count((r ? S_LOST : S_SENT) + cls);
}

static __always_inline void fill_hdr(struct event *e, __u32 type, struct glob_cfg *g)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 pt = bpf_get_current_pid_tgid();
	e->h.type = type;
	e->h.flags = 0;
	e->h.pid = pt >> 32;
	e->h.tid = (__u32)pt;
	e->h.uid = (__u32)bpf_get_current_uid_gid();
	e->h.ts = bpf_ktime_get_boot_ns();
	e->h.start_time = BPF_CORE_READ(t, group_leader, start_time);
	e->h.ppid = BPF_CORE_READ(t, real_parent, tgid);
	e->h.pstart_time = BPF_CORE_READ(t, real_parent, group_leader, start_time);
	e->h.cgid = bpf_get_current_cgroup_id();
	e->h.rule = 0xffffffff;
	e->h.gen = g->active_gen;
	bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
	e->path_len = e->path2_len = e->cwd_len = e->args_len = 0;
	e->path[0] = e->path2[0] = e->cwd[0] = e->args[0] = 0;
	e->dev = e->ino = 0;
	e->exit_code = e->target_pid = e->access = 0;
}

/* Path of a (dentry, vfsmount): walked with bpf_loop so the verifier checks one step, not
 * every unrolled combination. Components are collected leaf first, then written root first. */
struct walk_ctx {
	struct scratch *s;
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;
	__u32 n;
	__u32 pos;
	__u32 flags;
};

static long walk_step(__u32 i, struct walk_ctx *w)
{
	struct dentry *d = w->dentry;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == w->mnt_root || d == parent) {
		struct mount *m = w->mnt;
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m || !mp) return 1;
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = mp;
		w->mnt_root = BPF_CORE_READ(mp, mnt.mnt_root);
		return 0;
	}
	if (w->n >= MAX_DEPTH) { w->flags |= F_TRUNC; return 1; }
	w->s->names[w->n & (MAX_DEPTH - 1)] = BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->dentry = parent;
	return 0;
}

static long emit_step(__u32 i, struct walk_ctx *w)
{
	if (i >= w->n) return 1;
	if (w->pos >= PATH_BUF - 2) { w->flags |= F_TRUNC; return 1; }
	__u32 idx = (w->n - 1 - i) & (MAX_DEPTH - 1);
	w->s->walk[w->pos & (PATH_BUF - 1)] = '/';
	w->pos++;
	long r = bpf_probe_read_kernel_str(&w->s->walk[w->pos & (PATH_BUF - 1)], PATH_BUF, w->s->names[idx]);
	if (r > 1) w->pos += r - 1;
	return 0;
}

static __always_inline __u32 walk_path(struct scratch *s, struct dentry *dentry, struct vfsmount *vfsmnt, char *out, __u32 *flags)
{
	struct walk_ctx w = {};
	w.s = s;
	w.dentry = dentry;
	w.mnt = container_of(vfsmnt, struct mount, mnt);
	w.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	bpf_loop(MAX_DEPTH + 8, walk_step, &w, 0);
	bpf_loop(MAX_DEPTH, emit_step, &w, 0);
	__u32 pos = w.pos;
	if (pos == 0) { s->walk[0] = '/'; pos = 1; }
	if (pos > PATH_BUF - 1) { pos = PATH_BUF - 1; w.flags |= F_TRUNC; }
	s->walk[pos & (2 * PATH_BUF - 1)] = 0;
	bpf_probe_read_kernel(out, PATH_BUF, s->walk);
	out[PATH_BUF - 1] = 0;
	*flags |= w.flags;
	return pos;
}

struct fold_ctx { struct scratch *s; const char *src; __u32 n; };

/* key.data[2 + i] = lowercase(src[i]) */
static long lower_step(__u32 i, struct fold_ctx *f)
{
	if (i >= f->n || i >= KPATH) return 1;
	__u32 at = i;
	asm volatile("%0 &= 255" : "+r"(at));
	char ch = f->src[at];
	if (ch >= 'A' && ch <= 'Z') ch += 32;
	__u32 dst = i;
	asm volatile("%0 &= 255" : "+r"(dst));
	f->s->key.data[2 + dst] = ch;
	return 0;
}

/* rkey.data[2 + i] = key.data[2 + n - 1 - i] */
static long reverse_step(__u32 i, struct fold_ctx *f)
{
	if (i >= f->n || i >= KPATH) return 1;
	__u32 src = f->n - 1 - i;
	/* masked for the verifier; src < n <= KPATH so the mask never changes the value */
	__u32 dst = i;
	asm volatile("%0 &= 255" : "+r"(dst));
	asm volatile("%0 &= 255" : "+r"(src));
	f->s->rkey.data[2 + dst] = f->s->key.data[2 + src];
	return 0;
}

/* Look a path up in the exact / prefix / suffix tables of class cls. */
static __always_inline void match_path(struct scratch *s, struct gen_cfg *c, __u32 gen, __u32 cls, const char *path, __u32 len, struct tval *hit)
{
	__u32 has = c->has[cls & (NCLS - 1)];
	if (!(has & (H_EXACT | H_PREFIX | H_SUFFIX)) || len == 0) return;
	if (len > KPATH) len = KPATH + 1; /* too long: no exact hit, prefix/suffix on the first KPATH bytes */
	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.data[0] = gen;
	s->key.data[1] = cls;
	struct fold_ctx fc = { .s = s, .src = path, .n = len > KPATH ? KPATH : len };
	bpf_loop(KPATH, lower_step, &fc, 0);
	__u32 n = len > KPATH ? KPATH : len;
	struct tval *v;
	if ((has & H_EXACT) && len <= KPATH) {
		__builtin_memcpy(s->hkey.data, s->key.data, sizeof(s->hkey.data));
		v = bpf_map_lookup_elem(&path_exact, &s->hkey);
		if (v) { if (!(hit->flags & (T_BLOCK | T_KILL))) hit->rule = v->rule; hit->flags |= v->flags; }
	}
	if (has & H_PREFIX) {
		s->key.prefixlen = (2 + n) * 8;
		v = bpf_map_lookup_elem(&path_prefix, &s->key);
		if (v) { if (!(hit->flags & (T_BLOCK | T_KILL))) hit->rule = v->rule; hit->flags |= v->flags; }
	}
	if ((has & H_SUFFIX) && len <= KPATH) {
		__builtin_memset(&s->rkey, 0, sizeof(s->rkey));
		s->rkey.data[0] = gen;
		s->rkey.data[1] = cls;
		bpf_loop(KPATH, reverse_step, &fc, 0);
		s->rkey.prefixlen = (2 + n) * 8;
		v = bpf_map_lookup_elem(&path_suffix, &s->rkey);
		if (v) { if (!(hit->flags & (T_BLOCK | T_KILL))) hit->rule = v->rule; hit->flags |= v->flags; }
	}
}

static __always_inline void match_inode(struct gen_cfg *c, __u32 gen, __u32 cls, __u64 dev, __u64 ino, struct tval *hit)
{
	if (!(c->has[cls & (NCLS - 1)] & H_INODE) || !ino) return;
	struct inode_key k = {};
	k.gen = gen; k.cls = cls; k.dev = dev; k.ino = ino;
	struct tval *v = bpf_map_lookup_elem(&inodes, &k);
	if (v) { if (!(hit->flags & (T_BLOCK | T_KILL))) hit->rule = v->rule; hit->flags |= v->flags; }
}

/* Common tail: deny decision (caller enforces), flags, prefilter, submit. Returns 1 to deny. */
static __always_inline int decide(struct glob_cfg *g, struct gen_cfg *c, struct event *e, __u32 cls, struct tval *hit)
{
	int deny = 0;
	if (hit->flags) { e->h.flags |= F_HIT; e->h.rule = hit->rule; }
	if (!c->loaded) e->h.flags |= F_NOTABLES;
	if (c->loaded && (hit->flags & (T_BLOCK | T_KILL))) {
		/* Enforce only inside an explicit scope (enforce=1) or when system-wide was asked (2). */
		if ((g->enforce == 1 && g->scope_cgid) || g->enforce == 2) deny = 1;
		e->h.flags |= deny ? F_BLOCKED : F_WOULD_BLOCK;
		count(deny ? S_BLOCKED : S_WOULD_BLOCK);
	}
	return deny;
}

static __always_inline int wanted(struct gen_cfg *c, struct event *e, __u32 cls)
{
	if (!c->loaded) return 1; /* fail open: no tables, report everything, deny nothing */
	__u32 mode = c->prefilter[cls & (NCLS - 1)];
	if (mode == P_ALL) return 1;
	if (e->h.flags & (F_HIT | F_BLOCKED | F_WOULD_BLOCK)) return mode != P_NONE || (e->h.flags & (F_BLOCKED | F_WOULD_BLOCK));
	return 0;
}

struct ctx_common { struct glob_cfg *g; struct gen_cfg *c; struct scratch *s; };

/* Shared entry: exemption, scope, config. Returns 0 when the event must be ignored. */
static __always_inline int enter(struct ctx_common *cc, __u32 cls)
{
	__u32 zero = 0;
	cc->g = get_glob();
	if (!cc->g) return 0;
	count(S_SEEN + cls);
	if ((bpf_get_current_pid_tgid() >> 32) == cc->g->agent_tgid) { count(S_EXEMPT); return 0; }
	if (!in_scope(cc->g)) { count(S_OUT_OF_SCOPE); return 0; }
	cc->c = get_gen(cc->g);
	cc->s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!cc->c || !cc->s) return 0;
	if (cc->c->loaded && cc->c->prefilter[cls & (NCLS - 1)] == P_NONE && !cc->c->has[cls & (NCLS - 1)]) {
		count(S_FILTERED + cls);
		return 0;
	}
	return 1;
}

/* `ld.so <binary>` runs a binary the exec hook never sees (the loader maps it itself). When the
 * image is the dynamic loader, the first absolute argument is judged like an image. */
#define LOADER_LEN 21 /* "/ld-linux-x86-64.so.2" (spelled out below: no string constant,
                       * libbpf 1.1 cannot relocate .rodata.str sections) */
static __always_inline int is_loader(const char *path, __u32 len)
{
	if (len < LOADER_LEN || len > PATH_BUF - 1) return 0;
	__u32 off = len - LOADER_LEN;
	asm volatile("%0 &= 255" : "+r"(off));
	const char *t = path + off;
	return t[0] == '/' && t[1] == 'l' && t[2] == 'd' && t[3] == '-' && t[4] == 'l' && t[5] == 'i' && t[6] == 'n' &&
	       t[7] == 'u' && t[8] == 'x' && t[9] == '-' && t[10] == 'x' && t[11] == '8' && t[12] == '6' && t[13] == '-' &&
	       t[14] == '6' && t[15] == '4' && t[16] == '.' && t[17] == 's' && t[18] == 'o' && t[19] == '.' && t[20] == '2';
}

struct arg_ctx { const char *args; __u32 len; __u32 found; __u32 flen; };

/* the first argument after argv[0] that starts with '/' */
static long find_abs_arg(__u32 i, struct arg_ctx *a)
{
	if (i + 1 >= a->len) return 1;
	__u32 at = i + 1, prev = i;
	asm volatile("%0 &= 511" : "+r"(at));
	asm volatile("%0 &= 511" : "+r"(prev));
	if (a->args[prev] == 0 && a->args[at] == '/') { a->found = i + 1; return 1; }
	return 0;
}

static long arg_len(__u32 i, struct arg_ctx *a)
{
	__u32 at = a->found + i;
	if (at >= a->len) { a->flen = i; return 1; }
	asm volatile("%0 &= 511" : "+r"(at));
	if (a->args[at] == 0) { a->flen = i; return 1; }
	return 0;
}

/* The executed file of an exec event: its path, inode and device (exec and LSM hooks alike). */
static __always_inline void fill_exec_file(struct scratch *s, struct event *e, struct file *f, __u32 *fl)
{
	struct path fp;
	BPF_CORE_READ_INTO(&fp, f, f_path);
	e->path_len = walk_path(s, fp.dentry, fp.mnt, e->path, fl);
	e->ino = BPF_CORE_READ(f, f_inode, i_ino);
	e->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(luna_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ctx_common cc;
	if (!enter(&cc, CLS_EXEC)) return 0;
	struct scratch *s = cc.s;
	struct event *e = &s->ev;
	fill_hdr(e, EV_EXEC, cc.g);
	struct file *f = BPF_CORE_READ(bprm, file);
	__u32 fl = 0;
	fill_exec_file(s, e, f, &fl);
	/* the script behind an interpreter (#!): its inode is checked too */
	struct file *ex = BPF_CORE_READ(bprm, executable);
	__u64 xino = 0, xdev = 0;
	if (ex && ex != f) { xino = BPF_CORE_READ(ex, f_inode, i_ino); xdev = BPF_CORE_READ(ex, f_inode, i_sb, s_dev); }

	/* decide first: an exec the prefilter drops costs only the image path and the lookups */
	struct tval hit = {};
	__u32 gen = cc.g->active_gen & 1;
	match_path(s, cc.c, gen, CLS_EXEC, e->path, e->path_len, &hit);
	match_inode(cc.c, gen, CLS_EXEC, e->dev, e->ino, &hit);
	match_inode(cc.c, gen, CLS_EXEC, xdev, xino, &hit);
	/* a #! script: the image is the interpreter and the script file is already released, so
	 * its path as given (when absolute) is judged too */
	const char *fname = BPF_CORE_READ(bprm, filename), *interp = BPF_CORE_READ(bprm, interp);
	if (fname != interp && !(hit.flags & (T_BLOCK | T_KILL)) && (cc.c->has[CLS_EXEC] & (H_EXACT | H_PREFIX | H_SUFFIX))) {
		long n = bpf_probe_read_kernel_str(e->path2, PATH_BUF, fname);
		if (n > 1 && e->path2[0] == '/') {
			struct tval sh = {};
			match_path(s, cc.c, gen, CLS_EXEC, e->path2, n - 1, &sh);
			if (sh.flags & (T_BLOCK | T_KILL)) hit = sh;
		}
	}
	if (!(hit.flags & (T_BLOCK | T_KILL)) && (cc.c->has[CLS_EXEC] & (H_EXACT | H_PREFIX | H_SUFFIX)) && is_loader(e->path, e->path_len)) {
		struct task_struct *lt = (struct task_struct *)bpf_get_current_task();
		unsigned long as = BPF_CORE_READ(lt, mm, arg_start), ae = BPF_CORE_READ(lt, mm, arg_end);
		__u32 alen = ae > as ? ae - as : 0;
		if (alen > ARGS_BUF - 1) alen = ARGS_BUF - 1;
		if (alen && bpf_probe_read_user(e->args, alen & (ARGS_BUF - 1), (void *)as) == 0) {
			struct arg_ctx ac = { .args = e->args, .len = alen, .found = 0, .flen = 0 };
			bpf_loop(ARGS_BUF, find_abs_arg, &ac, 0);
			if (ac.found) {
				bpf_loop(PATH_BUF, arg_len, &ac, 0);
				struct tval lh = {};
				__u32 off = ac.found;
				asm volatile("%0 &= 255" : "+r"(off));
				if (ac.found < 256 && ac.flen && ac.flen <= KPATH)
					match_path(s, cc.c, gen, CLS_EXEC, e->args + off, ac.flen, &lh);
				if (lh.flags & (T_BLOCK | T_KILL)) { hit = lh; e->h.flags |= F_LOADER; }
			}
		}
	}
	if (decide(cc.g, cc.c, e, CLS_EXEC, &hit))
		bpf_send_signal(SIGKILL); /* pending before the return to user space: the image never runs */
	if (!wanted(cc.c, e, CLS_EXEC)) {
		count(S_FILTERED + CLS_EXEC);
		return 0;
	}

	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct path pwd;
	BPF_CORE_READ_INTO(&pwd, t, fs, pwd);
	e->cwd_len = walk_path(s, pwd.dentry, pwd.mnt, e->cwd, &fl);
	unsigned long as = BPF_CORE_READ(t, mm, arg_start), ae = BPF_CORE_READ(t, mm, arg_end);
	__u32 alen = ae > as ? ae - as : 0;
	if (alen > ARGS_BUF - 1) { alen = ARGS_BUF - 1; fl |= F_TRUNC; }
	if (alen && bpf_probe_read_user(e->args, alen & (ARGS_BUF - 1), (void *)as) == 0) e->args_len = alen;
	e->args[ARGS_BUF - 1] = 0;
	bpf_probe_read_kernel_str(e->path2, PATH_BUF, BPF_CORE_READ(bprm, filename));
	/* the parent's image now, while it surely exists (user space may look too late) */
	struct file *pf = BPF_CORE_READ(t, real_parent, mm, exe_file);
	e->pexe[0] = 0;
	if (pf) {
		struct path pp;
		BPF_CORE_READ_INTO(&pp, pf, f_path);
		walk_path(s, pp.dentry, pp.mnt, e->pexe, &fl);
	}
	e->h.flags |= fl;
	submit(cc.g, e, CLS_EXEC, sizeof(*e));
	return 0;
}

/* Where the kernel allows BPF LSM, an exec deny is a real EPERM from bprm_check_security,
 * decided from the same tables; the SIGKILL in luna_exec stays as the backstop. Kernels that
 * refuse LSM programs (these VMs: EPERM) make the driver load without this one. */
SEC("lsm/bprm_check_security")
int BPF_PROG(luna_lsm_exec, struct linux_binprm *bprm, int ret)
{
	if (ret) return ret;
	struct ctx_common cc;
	if (!enter(&cc, CLS_EXEC)) return 0;
	if (!cc.c->loaded) return 0;
	struct scratch *s = cc.s;
	struct event *e = &s->ev;
	fill_hdr(e, EV_EXEC, cc.g);
	struct file *f = BPF_CORE_READ(bprm, file);
	__u32 fl = 0;
	fill_exec_file(s, e, f, &fl);
	bpf_probe_read_kernel_str(e->path2, PATH_BUF, BPF_CORE_READ(bprm, filename));
	e->h.flags |= fl;
	struct tval hit = {};
	__u32 gen = cc.g->active_gen & 1;
	match_path(s, cc.c, gen, CLS_EXEC, e->path, e->path_len, &hit);
	match_inode(cc.c, gen, CLS_EXEC, e->dev, e->ino, &hit);
	if (!(hit.flags & (T_BLOCK | T_KILL))) return 0; /* allowed: luna_exec reports it */
	if (!decide(cc.g, cc.c, e, CLS_EXEC, &hit)) return 0; /* would-block: luna_exec reports it */
	e->h.flags |= F_LSM;
	submit(cc.g, e, CLS_EXEC, sizeof(*e));
	return -1; /* -EPERM */
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(luna_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid)) return 0; /* threads */
	struct ctx_common cc;
	if (!enter(&cc, CLS_EXIT)) return 0;
	struct event *e = &cc.s->ev;
	fill_hdr(e, EV_EXIT, cc.g);
	e->exit_code = BPF_CORE_READ(p, exit_code);
	struct tval hit = {};
	decide(cc.g, cc.c, e, CLS_EXIT, &hit);
	/* 'matches' cannot be decided here (no path): over-approximate by sending */
	if (!cc.c->loaded || cc.c->prefilter[CLS_EXIT] != P_NONE) submit(cc.g, e, CLS_EXIT, SMALL_EVENT);
	else count(S_FILTERED + CLS_EXIT);
	return 0;
}

/* fork: only when user space wants the whole process picture (ProcessCreate 'all'), so it can
 * give a forked child that never execs its parent's image. Threads are not processes. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(luna_fork, struct task_struct *parent, struct task_struct *child)
{
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) return 0;
	struct ctx_common cc;
	if (!enter(&cc, CLS_EXEC)) return 0;
	if (cc.c->loaded && cc.c->prefilter[CLS_EXEC] != P_ALL) return 0;
	struct event *e = &cc.s->ev;
	fill_hdr(e, EV_FORK, cc.g);
	e->target_pid = BPF_CORE_READ(child, tgid);
	e->ino = BPF_CORE_READ(child, start_time);
	submit(cc.g, e, CLS_EXEC, SMALL_EVENT);
	return 0;
}

/* File events from syscall tracepoints: the path as the caller gave it (+ cwd when relative). */
static __always_inline int file_event(__u32 type, __u32 cls, const char *upath, const char *upath2)
{
	struct ctx_common cc;
	if (!enter(&cc, cls)) return 0;
	struct scratch *s = cc.s;
	struct event *e = &s->ev;
	fill_hdr(e, type, cc.g);
	long r = bpf_probe_read_user_str(e->path, PATH_BUF, upath);
	e->path_len = r > 0 ? r - 1 : 0;
	if (upath2) {
		r = bpf_probe_read_user_str(e->path2, PATH_BUF, upath2);
		e->path2_len = r > 0 ? r - 1 : 0;
	}
	const char *match = upath2 ? e->path2 : e->path;
	__u32 mlen = upath2 ? e->path2_len : e->path_len;
	struct tval hit = {};
	if (match[0] != '/') {
		__u32 fl = 0;
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		struct path pwd;
		BPF_CORE_READ_INTO(&pwd, t, fs, pwd);
		e->cwd_len = walk_path(s, pwd.dentry, pwd.mnt, e->cwd, &fl);
		e->h.flags |= F_REL | fl;
		/* relative path: cannot be decided here, send it up if the class has any entry */
		if (cc.c->has[cls]) hit.flags = T_REPORT;
	} else {
		match_path(s, cc.c, cc.g->active_gen & 1, cls, match, mlen, &hit);
	}
	hit.flags &= ~(T_BLOCK | T_KILL); /* no synchronous deny on these hooks */
	decide(cc.g, cc.c, e, cls, &hit);
	if (wanted(cc.c, e, cls)) submit(cc.g, e, cls, sizeof(*e));
	else count(S_FILTERED + cls);
	return 0;
}

/* ptrace and process_vm_* are Sysmon's ProcessAccess on Linux. */
static __always_inline int access_event(__u32 target, __u32 access)
{
	struct ctx_common cc;
	if (!enter(&cc, CLS_PACCESS)) return 0;
	struct event *e = &cc.s->ev;
	fill_hdr(e, EV_PTRACE, cc.g);
	e->target_pid = target;
	e->access = access;
	struct tval hit = {};
	decide(cc.g, cc.c, e, CLS_PACCESS, &hit);
	if (!cc.c->loaded || cc.c->prefilter[CLS_PACCESS] != P_NONE) submit(cc.g, e, CLS_PACCESS, SMALL_EVENT);
	else count(S_FILTERED + CLS_PACCESS);
	return 0;
}

/* Syscall hooks. This kernel's tracefs is not always mounted (per-syscall tracepoints need it),
 * so the raw sys_enter/sys_exit tracepoints (tp_btf, no tracefs) dispatch on the syscall number.
 * Every other syscall costs one compare chain and returns. x86-64 numbers. */
#define NR_rename 82
#define NR_creat 85
#define NR_unlink 87
#define NR_ptrace 101
#define NR_openat 257
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_process_vm_readv 310
#define NR_process_vm_writev 311
#define NR_renameat2 316
#define NR_accept 43
#define NR_accept4 288

SEC("tp_btf/sys_enter")
int BPF_PROG(luna_sys_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_openat:
		if (!(BPF_CORE_READ(regs, dx) & O_CREAT)) return 0;
		return file_event(EV_FCREATE, CLS_FCREATE, (const char *)BPF_CORE_READ(regs, si), 0);
	case NR_creat:
		return file_event(EV_FCREATE, CLS_FCREATE, (const char *)BPF_CORE_READ(regs, di), 0);
	case NR_unlinkat:
		return file_event(EV_FDELETE, CLS_FDELETE, (const char *)BPF_CORE_READ(regs, si), 0);
	case NR_unlink:
		return file_event(EV_FDELETE, CLS_FDELETE, (const char *)BPF_CORE_READ(regs, di), 0);
	case NR_renameat2:
	case NR_renameat:
		return file_event(EV_RENAME, CLS_FCREATE, (const char *)BPF_CORE_READ(regs, si), (const char *)BPF_CORE_READ(regs, r10));
	case NR_rename:
		return file_event(EV_RENAME, CLS_FCREATE, (const char *)BPF_CORE_READ(regs, di), (const char *)BPF_CORE_READ(regs, si));
	case NR_ptrace: {
		long req = BPF_CORE_READ(regs, di);
		/* attach, seize and writes: what gives one process power over another */
		if (req != 16 && req != 0x4206 && req != 4 && req != 5 && req != 6 && req != 13) return 0;
		return access_event((__u32)BPF_CORE_READ(regs, si), (__u32)req);
	}
	case NR_process_vm_readv:
		return access_event((__u32)BPF_CORE_READ(regs, di), 0x10); /* PROCESS_VM_READ */
	case NR_process_vm_writev:
		return access_event((__u32)BPF_CORE_READ(regs, di), 0x20); /* PROCESS_VM_WRITE */
	}
	return 0;
}

/* Network: cgroup connect hooks (attached to the scope cgroup) decide with a real EPERM. */
static __always_inline int net_common(struct bpf_sock_addr *ctx, int v6)
{
	__u32 zero = 0;
	struct glob_cfg *g = get_glob();
	if (!g) return 1;
	count(S_SEEN + CLS_CONNECT);
	if ((bpf_get_current_pid_tgid() >> 32) == g->agent_tgid) { count(S_EXEMPT); return 1; }
	if (!in_scope(g)) { count(S_OUT_OF_SCOPE); return 1; }
	struct gen_cfg *c = get_gen(g);
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!c || !s) return 1;
	struct event *e = &s->ev;
	__u64 pt = bpf_get_current_pid_tgid();
	e->h.type = EV_CONNECT;
	e->h.flags = 0;
	e->h.pid = pt >> 32;
	e->h.tid = (__u32)pt;
	e->h.uid = (__u32)bpf_get_current_uid_gid();
	e->h.ts = bpf_ktime_get_boot_ns();
	e->h.start_time = e->h.pstart_time = 0;
	e->h.ppid = 0;
	e->h.cgid = bpf_get_current_cgroup_id();
	e->h.rule = 0xffffffff;
	e->h.gen = g->active_gen;
	bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
	e->path[0] = 0;
	{
		/* the connecting process's image (user space may look after it exited) */
		struct task_struct *t = bpf_get_current_task_btf();
		struct file *xf = BPF_CORE_READ(t, mm, exe_file);
		if (xf) {
			__u32 fl = 0;
			struct path xp;
			BPF_CORE_READ_INTO(&xp, xf, f_path);
			walk_path(s, xp.dentry, xp.mnt, e->path, &fl);
		}
	}
	e->proto = ctx->protocol;
	e->family = v6 ? 10 : 2;
	e->dport = bpf_ntohs((__u16)ctx->user_port);
	e->sport = 0;
	__builtin_memset(e->saddr, 0, 16);
	__builtin_memset(e->daddr, 0, 16);
	__u32 gen = g->active_gen & 1;
	__u32 has = c->has[CLS_CONNECT];
	struct tval hit = {};
	struct tval *v;
	if (v6) {
		e->daddr[0] = 0; /* copied word by word below (ctx fields are 4-byte loads) */
		__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];
		__builtin_memcpy(&e->daddr[0], &w0, 4);
		__builtin_memcpy(&e->daddr[4], &w1, 4);
		__builtin_memcpy(&e->daddr[8], &w2, 4);
		__builtin_memcpy(&e->daddr[12], &w3, 4);
		if (has & H_V6) {
			struct v6_key k = {};
			k.prefixlen = 8 + 128;
			k.data[0] = gen;
			__builtin_memcpy(&k.data[1], e->daddr, 16);
			v = bpf_map_lookup_elem(&nets6, &k);
			if (v) { hit.rule = v->rule; hit.flags |= v->flags; }
		}
	} else {
		__u32 ip = ctx->user_ip4;
		__builtin_memcpy(e->daddr, &ip, 4);
		if (has & H_V4) {
			struct v4_key k = {};
			k.prefixlen = 8 + 32;
			k.data[0] = gen;
			__builtin_memcpy(&k.data[1], &ip, 4);
			v = bpf_map_lookup_elem(&nets4, &k);
			if (v) { hit.rule = v->rule; hit.flags |= v->flags; }
		}
	}
	if (has & H_PORT) {
		struct port_key pk = { .gen = gen, .cls = CLS_CONNECT, .port = e->dport };
		v = bpf_map_lookup_elem(&ports, &pk);
		if (v) { if (!(hit.flags & (T_BLOCK | T_KILL))) hit.rule = v->rule; hit.flags |= v->flags; }
	}
	int deny = decide(g, c, e, CLS_CONNECT, &hit);
	if (wanted(c, e, CLS_CONNECT)) submit(g, e, CLS_CONNECT, NET_EVENT);
	else count(S_FILTERED + CLS_CONNECT);
	return deny ? 0 : 1;
}

SEC("cgroup/connect4")
int luna_connect4(struct bpf_sock_addr *ctx) { return net_common(ctx, 0); }

SEC("cgroup/connect6")
int luna_connect6(struct bpf_sock_addr *ctx) { return net_common(ctx, 1); }

/* Inbound connections: the accepted socket of accept()/accept4() (NetworkConnect, Initiated=false). */
static __always_inline int accept_event(long fd)
{
	if (fd < 0) return 0;
	struct ctx_common cc;
	if (!enter(&cc, CLS_CONNECT)) return 0;
	if (cc.c->loaded && cc.c->prefilter[CLS_CONNECT] != P_ALL) { count(S_FILTERED + CLS_CONNECT); return 0; }
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffff]);
	if (!f) return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk) return 0;
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != 2 && fam != 10) return 0;
	struct event *e = &cc.s->ev;
	fill_hdr(e, EV_ACCEPT, cc.g);
	e->family = fam;
	e->proto = BPF_CORE_READ(sk, sk_protocol);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(e->saddr, 0, 16);
	__builtin_memset(e->daddr, 0, 16);
	if (fam == 2) {
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), b = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->saddr, &a, 4);
		__builtin_memcpy(e->daddr, &b, 4);
	} else {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr);
	}
	submit(cc.g, e, CLS_CONNECT, NET_EVENT);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(luna_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax; /* trusted BTF pointer: a plain load, no helper call */
	if (id != NR_accept && id != NR_accept4) return 0;
	return accept_event(ret);
}
