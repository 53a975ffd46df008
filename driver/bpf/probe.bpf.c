// SPDX-License-Identifier: GPL-2.0
/* One tiny program per attach type Luna may use; driver/capabilities.ts loads each alone and
 * records whether this kernel accepts it (and with which errno it refuses). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } probe_rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 1); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, __u64); __type(value, __u32); } probe_lpm SEC(".maps");

SEC("lsm/bprm_check_security")
int BPF_PROG(probe_lsm, struct linux_binprm *bprm) { return 0; }

SEC("lsm_cgroup/socket_bind")
int BPF_PROG(probe_lsm_cgroup, struct socket *sock) { return 1; }

SEC("fentry/do_unlinkat")
int BPF_PROG(probe_fentry) { return 0; }

SEC("fexit/do_unlinkat")
int BPF_PROG(probe_fexit) { return 0; }

SEC("fmod_ret/security_file_open")
int BPF_PROG(probe_fmod_ret) { return 0; }

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_tp_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* never true at run time; makes the verifier accept bpf_send_signal here */
	if (old_pid == -12345) bpf_send_signal(9);
	__u32 k = 1;
	bpf_ringbuf_output(&probe_rb, &k, sizeof(k), 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int probe_raw_tp(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_enter_openat")
int probe_tracepoint(void *ctx) { return 0; }

SEC("cgroup/connect4")
int probe_cgroup_connect(struct bpf_sock_addr *ctx) { return 1; }
