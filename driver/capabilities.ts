// Start-up probing: which BPF program types this kernel loads (and attaches), whether
// fanotify permission events work, where cgroup v2 lives, and from that which mechanism
// each action uses. Loading a probe program never changes system behaviour: LSM/fentry
// probes return "allow"/no-op and are detached at once.

import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { ensureBuilt } from './build.ts';
import { cgroup2Root } from './cgroup.ts';
import { libbpf } from './libbpf.ts';

export interface Probe {
  name: string;
  kind: string;
  loads: boolean;
  attaches?: boolean;
  error?: string;
}

export interface Capabilities {
  kernel: string;
  cgroup2?: string;
  btf: boolean;
  probes: Probe[];
  fanotifyPermission: boolean;
  fanotifyError?: string;
  driverLoads: boolean;
  driverError?: string;
  mechanisms: { action: string; target: string; mechanism: string; available: boolean; why?: string }[];
}

const PROBES: [string, string, boolean][] = [
  // program, kind, try attaching (only programs that are no-ops when attached)
  ['probe_lsm', 'lsm', true],
  ['probe_lsm_cgroup', 'lsm_cgroup', false],
  ['probe_fentry', 'fentry', true],
  ['probe_fexit', 'fexit', true],
  ['probe_fmod_ret', 'fmod_ret', false],
  ['probe_tp_btf', 'tp_btf (+bpf_send_signal, ring buffer)', false],
  ['probe_raw_tp', 'raw_tp', true],
  ['probe_tracepoint', 'tracepoint (needs tracefs)', true],
  ['probe_cgroup_connect', 'cgroup/connect4', false],
];

const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 13: 'EACCES', 22: 'EINVAL', 95: 'EOPNOTSUPP', 524: 'ENOTSUPP' };
const errText = (e: number) => `${ERRNO[e] ?? 'errno'} (${e})`;

function probeOne(obj: string, prog: string, attach: boolean): Omit<Probe, 'name' | 'kind'> {
  const L = libbpf();
  const o = L.openFile(obj);
  if (!o) return { loads: false, error: `open failed: ${errText(L.errno())}` };
  try {
    for (let p = L.nextProgram(o, null); p; p = L.nextProgram(o, p)) L.setAutoload(p, L.programName(p) === prog);
    const r = L.objectLoad(o);
    if (r) return { loads: false, error: errText(-r) };
    if (!attach) return { loads: true };
    const link = L.attach(L.findProgram(o, prog));
    if (!link) return { loads: true, attaches: false, error: `attach: ${errText(L.errno())}` };
    L.linkDestroy(link);
    return { loads: true, attaches: true };
  } finally {
    L.objectClose(o);
  }
}

function probeFanotify(): { ok: boolean; error?: string } {
  const libc = koffi.load('libc.so.6');
  const init = libc.func('int fanotify_init(unsigned int flags, unsigned int event_f_flags)');
  const close = libc.func('int close(int fd)');
  const fd = init(0x4 | 0x1, 0); // FAN_CLASS_CONTENT | FAN_CLOEXEC
  if (fd < 0) return { ok: false, error: errText(koffi.errno()) };
  close(fd);
  return { ok: true };
}

export async function probeCapabilities(): Promise<Capabilities> {
  const L = libbpf();
  if (!process.env.LUNA_BPF_DEBUG) L.silence();
  const kernel = (await import('node:os')).release();
  const probeObj = await ensureBuilt('probe');
  const probes: Probe[] = PROBES.map(([name, kind, attach]) => ({ name, kind, ...probeOne(probeObj, name, attach) }));
  const fan = probeFanotify();
  let driverLoads = false;
  let driverError: string | undefined;
  try {
    const obj = await ensureBuilt('luna');
    const o = L.openFile(obj);
    // as the driver does: without the LSM program where LSM is refused
    const lsmProbe = probes.find((p) => p.kind === 'lsm');
    if (o && !lsmProbe?.loads) L.setAutoload(L.findProgram(o, 'luna_lsm_exec'), false);
    const r = o ? L.objectLoad(o) : -L.errno();
    if (o) L.objectClose(o);
    driverLoads = r === 0;
    if (r) driverError = errText(-r);
  } catch (err) {
    driverError = err instanceof Error ? err.message : String(err);
  }
  const ok = (kind: string) => probes.find((p) => p.kind.startsWith(kind));
  const lsm = ok('lsm')!;
  const lsmUsable = lsm.loads && lsm.attaches === true;
  const tp = ok('tp_btf')!;
  const cg = ok('cgroup/connect4')!;
  const root = cgroup2Root();
  const m: Capabilities['mechanisms'] = [
    lsmUsable
      ? { action: 'block', target: 'exec', mechanism: 'lsm/bprm_check_security (EPERM), SIGKILL from tp_btf/sched_process_exec as backstop', available: driverLoads }
      : {
          action: 'block',
          target: 'exec',
          mechanism: 'SIGKILL from tp_btf/sched_process_exec before the new image runs (scope cgroup only)',
          available: tp.loads && driverLoads,
          why: tp.loads ? `LSM refused: ${lsm.error ?? 'attach failed'}` : tp.error,
        },
    {
      action: 'block',
      target: 'exec (EPERM)',
      mechanism: 'fanotify FAN_OPEN_EXEC_PERM on --fanotify-dir paths',
      available: fan.ok,
      why: fan.ok ? 'only for files under the marked directories' : fan.error,
    },
    { action: 'block', target: 'connect', mechanism: 'cgroup/connect4|6 on the scope cgroup (EPERM)', available: cg.loads && !!root, why: cg.loads ? (root ? undefined : 'no cgroup2 mount') : cg.error },
    { action: 'block', target: 'file open', mechanism: 'fanotify FAN_OPEN_PERM on --fanotify-dir paths (EPERM)', available: fan.ok, why: fan.ok ? undefined : fan.error },
    { action: 'kill', target: 'exec', mechanism: 'bpf_send_signal(SIGKILL) in the exec hook', available: tp.loads },
    { action: 'kill', target: 'other events', mechanism: 'kill(2) from the agent after the event (scope cgroup only)', available: true },
    { action: 'log/alert/tag/scan', target: 'all events', mechanism: 'user space (sinks, scan trigger)', available: true },
  ];
  return {
    kernel,
    cgroup2: root,
    btf: existsSync('/sys/kernel/btf/vmlinux'),
    probes,
    fanotifyPermission: fan.ok,
    fanotifyError: fan.error,
    driverLoads,
    driverError,
    mechanisms: m,
  };
}

export function formatCapabilities(c: Capabilities): string {
  const lines = [`kernel ${c.kernel}   BTF ${c.btf ? 'yes' : 'no'}   cgroup2 ${c.cgroup2 ?? 'not mounted'}`, '', 'BPF program types:'];
  for (const p of c.probes) {
    const st = p.loads ? (p.attaches === false ? 'loads, attach refused' : 'yes') : 'refused';
    lines.push(`  ${p.kind.padEnd(40)} ${st}${p.error ? `  (${p.error})` : ''}`);
  }
  lines.push(`  ${'luna driver object'.padEnd(40)} ${c.driverLoads ? 'yes' : `refused (${c.driverError})`}`);
  lines.push(`  ${'fanotify permission events'.padEnd(40)} ${c.fanotifyPermission ? 'yes' : `no (${c.fanotifyError})`}`, '', 'Actions:');
  for (const m of c.mechanisms)
    lines.push(`  ${(m.action + ' ' + m.target).padEnd(28)} ${m.available ? '✓' : '✗'} ${m.mechanism}${m.why ? `  — ${m.why}` : ''}`);
  return lines.join('\n');
}
