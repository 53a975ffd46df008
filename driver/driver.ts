// The BPF driver as seen from TypeScript: build on first use, open/load luna.bpf.o through
// libbpf, configure scope/exemption/enforcement, attach (links unpinned: they vanish with the
// process), swap table generations atomically, drain events from a worker, read counters,
// detach cleanly.

import { closeSync, constants as fsc, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { KernelTables } from '../schemas/kernel-tables.ts';
import { ensureBuilt } from './build.ts';
import { cgroup2Root, cgroupInfo, type CgroupInfo } from './cgroup.ts';
import { libbpf } from './libbpf.ts';
import { CLS, EVENT_SIZE, NCLS, NSTATS, S, decodeEvent, encodeGen, encodeGlob, u32, type GlobCfg, type RawEvent } from './layout.ts';
import { buildTables, type BuiltTables, type MapName, type MapWrite } from './tables.ts';

export interface DriverOptions {
  /** Limit monitoring and enforcement to this cgroup v2 directory's subtree. */
  scopeCgroup?: string;
  /** 0 dry run (report would-block), 1 enforce inside the scope, 2 enforce system-wide. */
  enforce: 0 | 1 | 2;
  /** Receives decoded events in batches. */
  onEvents: (events: RawEvent[]) => void;
  /** Wake the reader when this many bytes wait in the ring (default 64 KiB). */
  wakeBytes?: number;
  /** Periodic wake of the reader in ms (default 50). */
  pollMs?: number;
  /** Programs not to load (e.g. capabilities missing). */
  skip?: string[];
  objectPath?: string;
}

export interface DriverStats {
  seen: Record<string, number>;
  sent: Record<string, number>;
  filtered: Record<string, number>;
  lost: Record<string, number>;
  blocked: number;
  wouldBlock: number;
  outOfScope: number;
  exempt: number;
  received: number;
}

const PROGRAMS = ['luna_lsm_exec', 'luna_exec', 'luna_exit', 'luna_fork', 'luna_sys_enter', 'luna_sys_exit'];
const CGROUP_PROGRAMS = ['luna_connect4', 'luna_connect6'];
const MAPS: MapName[] = ['path_exact', 'path_prefix', 'path_suffix', 'inodes', 'ports', 'nets4', 'nets6'];

export class BpfDriver {
  readonly scope?: CgroupInfo;
  readonly attached: string[] = [];
  /** Programs this kernel refused (the driver runs without them). */
  readonly unavailable: { name: string; errno: number }[] = [];
  private obj: unknown;
  private links: unknown[] = [];
  /** Links by program name (for optional programs switched with the tables). */
  private named = new Map<string, unknown>();
  /** Optional programs the current tables do not need (not attached). */
  private off = new Set<string>();
  private fds = new Map<string, number>();
  private glob: GlobCfg;
  private worker?: Worker;
  private stopFlag = new SharedArrayBuffer(4);
  private active?: { gen: number; tables: BuiltTables };
  private received = 0;
  private closed = false;

  private opts: DriverOptions;

  private constructor(opts: DriverOptions) {
    this.opts = opts;
    this.scope = opts.scopeCgroup ? cgroupInfo(opts.scopeCgroup) : undefined;
    this.glob = {
      activeGen: 0,
      agentTgid: process.pid,
      scopeCgid: this.scope?.id ?? 0n,
      scopeLevel: this.scope?.level ?? 0,
      enforce: opts.enforce,
      wakeBytes: opts.wakeBytes ?? 64 * 1024,
    };
  }

  static async open(opts: DriverOptions): Promise<BpfDriver> {
    if (opts.enforce === 1 && !opts.scopeCgroup) throw new Error('enforcing inside a scope needs a scope cgroup');
    const d = new BpfDriver(opts);
    try {
      await d.load();
      return d;
    } catch (err) {
      await d.close();
      throw err;
    }
  }

  private async load(): Promise<void> {
    const path = this.opts.objectPath ?? (await ensureBuilt());
    const L = libbpf();
    if (!process.env.LUNA_BPF_DEBUG) L.silence();
    // LSM programs are refused outright on many kernels (EPERM before the verifier): ask first,
    // so a refusal costs one quick load instead of a failed full load and a search.
    if (!this.opts.skip?.includes('luna_lsm_exec')) {
      const err = loadAlone(path, 'luna_lsm_exec');
      if (err) this.unavailable.push({ name: 'luna_lsm_exec', errno: err });
    }
    this.obj = L.openFile(path);
    if (!this.obj) throw new Error(`cannot open BPF object ${path} (errno ${L.errno()})`);
    for (const name of [...(this.opts.skip ?? []), ...this.unavailable.map((u) => u.name)]) {
      const p = L.findProgram(this.obj, name);
      if (p) L.setAutoload(p, false);
    }
    let r = L.objectLoad(this.obj);
    if (r) {
      // Some program type is refused here: find which (each loaded alone), run without them.
      L.objectClose(this.obj);
      const before = this.unavailable.length;
      for (const name of [...PROGRAMS, ...CGROUP_PROGRAMS]) {
        if (this.opts.skip?.includes(name) || this.unavailable.some((u) => u.name === name)) continue;
        const err = loadAlone(path, name);
        if (err) this.unavailable.push({ name, errno: err });
      }
      if (this.unavailable.some((u) => u.name === 'luna_exec') || this.unavailable.length === before)
        throw new Error(`BPF object failed to load: errno ${-r} (run with LUNA_BPF_DEBUG=1 for the verifier log)`);
      this.obj = L.openFile(path);
      for (const name of [...(this.opts.skip ?? []), ...this.unavailable.map((u) => u.name)]) {
        const p = L.findProgram(this.obj, name);
        if (p) L.setAutoload(p, false);
      }
      r = L.objectLoad(this.obj);
      if (r) throw new Error(`BPF object failed to load without ${this.unavailable.map((u) => u.name).join(', ')}: errno ${-r}`);
    }
    for (const m of ['glob', 'gens', 'stats', 'events', ...MAPS]) {
      const fd = L.mapFd(this.obj, m);
      if (fd < 0) throw new Error(`map ${m} missing from the BPF object`);
      this.fds.set(m, fd);
    }
    // Fail open: generation 0 and 1 start with loaded = 0 (array maps are zeroed).
    this.writeGlob();
    await this.startReader();
    this.attachAll();
  }

  /** Attach every program (tracing + cgroup connect hooks); links are unpinned. */
  private attachAll(): void {
    const L = libbpf();
    const skip = new Set([...(this.opts.skip ?? []), ...this.unavailable.map((u) => u.name)]);
    for (const name of PROGRAMS) {
      if (skip.has(name) || this.off.has(name) || this.named.has(name)) continue;
      const link = L.attach(L.findProgram(this.obj, name));
      if (!link) throw new Error(`attaching ${name} failed (errno ${L.errno()})`);
      this.links.push(link);
      this.named.set(name, link);
      this.attached.push(name);
    }
    // Connect hooks go on the scope cgroup (or the cgroup2 root when the scope is the system).
    const cgdir = this.scope?.path ?? cgroup2Root();
    if (cgdir && CGROUP_PROGRAMS.some((n) => !skip.has(n) && !this.named.has(n))) {
      const fd = openSync(cgdir, fsc.O_RDONLY | fsc.O_DIRECTORY);
      try {
        for (const name of CGROUP_PROGRAMS) {
          if (skip.has(name) || this.named.has(name)) continue;
          const link = L.attachCgroup(L.findProgram(this.obj, name), fd);
          if (!link) throw new Error(`attaching ${name} to ${cgdir} failed (errno ${L.errno()})`);
          this.links.push(link);
          this.named.set(name, link);
          this.attached.push(name);
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  /**
   * Run time per program (needs BPF_ENABLE_STATS, see libbpf().enableStats()): bpf_prog_info
   * run_time_ns (offset 192) and run_cnt (200), name at 64.
   */
  programStats(): { name: string; runTimeNs: number; runCount: number }[] {
    const L = libbpf();
    const out: { name: string; runTimeNs: number; runCount: number }[] = [];
    for (const name of [...PROGRAMS, ...CGROUP_PROGRAMS]) {
      const p = L.findProgram(this.obj, name);
      if (!p) continue;
      const fd = L.progFd(p);
      if (fd < 0) continue;
      const info = Buffer.alloc(256);
      if (L.objInfo(fd, info)) continue;
      out.push({ name, runTimeNs: Number(info.readBigUInt64LE(192)), runCount: Number(info.readBigUInt64LE(200)) });
    }
    return out;
  }

  /** Detach every program but keep maps and tables (benchmarks compare attached/detached). */
  detach(): void {
    const L = libbpf();
    for (const l of this.links.splice(0)) L.linkDestroy(l);
    this.attached.length = 0;
    this.named.clear();
  }

  /**
   * The raw syscall hooks run for every syscall of every process, so they are attached only
   * when the tables need them: sys_enter for file/ptrace events, sys_exit for inbound accepts
   * (sent only when NetworkConnect is 'all'). With no tables everything is attached (fail open).
   */
  private applyOptional(t: KernelTables | undefined): void {
    const want = (types: string[]) =>
      !t || types.some((x) => (t.prefilter[x as keyof KernelTables['prefilter']] ?? 'none') !== 'none' || t.entries.some((e) => e.on === x));
    const need: Record<string, boolean> = {
      luna_sys_enter: want(['FileCreate', 'FileDelete', 'ProcessAccess']),
      luna_sys_exit: !t || t.prefilter.NetworkConnect === 'all',
    };
    const L = libbpf();
    for (const [name, on] of Object.entries(need)) {
      if (on) this.off.delete(name);
      else this.off.add(name);
      const link = this.named.get(name);
      if (!on && link) {
        L.linkDestroy(link);
        this.named.delete(name);
        this.links = this.links.filter((l) => l !== link);
        this.attached.splice(this.attached.indexOf(name), 1);
      }
    }
    if (this.links.length && !this.closed) this.attachAll();
  }

  /** Re-attach after detach(). */
  reattach(): void {
    if (this.links.length) return;
    this.attachAll();
  }

  private startReader(): Promise<void> {
    const w = new Worker(new URL('./ringbuf-worker.ts', import.meta.url), {
      workerData: { fd: this.fds.get('events'), pollMs: this.opts.pollMs ?? 50, stop: this.stopFlag },
    });
    this.worker = w;
    return new Promise((resolve, reject) => {
      w.on('message', (m: { ready?: boolean; error?: string; batch?: ArrayBuffer; done?: boolean }) => {
        if (m.ready) resolve();
        if (m.error) reject(new Error(m.error));
        if (m.batch) this.deliver(Buffer.from(m.batch));
      });
      w.on('error', reject);
    });
  }

  private deliver(buf: Buffer): void {
    const out: RawEvent[] = [];
    for (let off = 0; off + 4 <= buf.length; ) {
      const n = buf.readUInt32LE(off);
      out.push(decodeEvent(buf.subarray(off + 4, off + 4 + n)));
      off += 4 + n;
    }
    this.received += out.length;
    if (out.length) this.opts.onEvents(out);
  }

  private writeGlob(): void {
    const L = libbpf();
    if (L.update(this.fds.get('glob')!, u32(0), encodeGlob(this.glob), 0)) throw new Error(`config update failed (errno ${L.errno()})`);
  }

  setEnforce(enforce: 0 | 1 | 2): void {
    this.glob.enforce = enforce;
    this.writeGlob();
  }

  /**
   * Load tables into the inactive generation, then flip the one active-generation word: the
   * kernel sees either the old policy or the new one, never none. Old entries are deleted after.
   */
  swapTables(tables: KernelTables, opts: { fanotify?: boolean } = {}): BuiltTables {
    const L = libbpf();
    const gen = this.active ? 1 - this.active.gen : this.glob.activeGen === 0 ? 1 : 0;
    const built = buildTables(tables, gen, opts);
    const written: MapWrite[] = [];
    try {
      for (const w of built.writes) {
        if (L.update(this.fds.get(w.map)!, w.key, w.value, 0)) throw new Error(`writing ${w.map} failed (errno ${L.errno()})`);
        written.push(w);
      }
      if (L.update(this.fds.get('gens')!, u32(gen), encodeGen(built.gen), 0)) throw new Error(`writing gens failed (errno ${L.errno()})`);
    } catch (err) {
      for (const w of written) L.remove(this.fds.get(w.map)!, w.key);
      throw err;
    }
    this.glob.activeGen = gen;
    this.writeGlob();
    const old = this.active;
    this.active = { gen, tables: built };
    if (old) this.clearGen(old.gen, old.tables);
    this.applyOptional(tables);
    return built;
  }

  /** Unload every table (fail open: nothing is denied, everything is reported). */
  clearTables(): void {
    if (!this.active) return;
    const old = this.active;
    const gen = 1 - old.gen;
    libbpf().update(this.fds.get('gens')!, u32(gen), encodeGen({ loaded: false, prefilter: [], has: [] }), 0);
    this.glob.activeGen = gen;
    this.writeGlob();
    this.clearGen(old.gen, old.tables);
    this.active = undefined;
    this.applyOptional(undefined);
  }

  private clearGen(gen: number, t: BuiltTables): void {
    const L = libbpf();
    L.update(this.fds.get('gens')!, u32(gen), encodeGen({ loaded: false, prefilter: [], has: [] }), 0);
    for (const w of t.writes) L.remove(this.fds.get(w.map)!, w.key);
  }

  get activeGeneration(): number {
    return this.glob.activeGen;
  }

  stats(): DriverStats {
    const L = libbpf();
    const cpus = L.numCpus();
    const fd = this.fds.get('stats')!;
    const vals: number[] = [];
    const v = Buffer.alloc(8 * cpus);
    for (let i = 0; i < NSTATS; i++) {
      let sum = 0;
      if (L.lookup(fd, u32(i), v) === 0) for (let c = 0; c < cpus; c++) sum += Number(v.readBigUInt64LE(8 * c));
      vals.push(sum);
    }
    const byCls = (base: number) => {
      const o: Record<string, number> = {};
      for (const [name, cls] of Object.entries(CLS)) if (cls < NCLS) o[name] = vals[base + cls];
      return o;
    };
    return {
      seen: byCls(S.seen),
      sent: byCls(S.sent),
      filtered: byCls(S.filtered),
      lost: byCls(S.lost),
      blocked: vals[S.blocked],
      wouldBlock: vals[S.wouldBlock],
      outOfScope: vals[S.outOfScope],
      exempt: vals[S.exempt],
      received: this.received,
    };
  }

  /** Detach everything (links are unpinned, so a crash detaches too). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const L = libbpf();
    for (const l of this.links.splice(0)) L.linkDestroy(l);
    if (this.worker) {
      Atomics.store(new Int32Array(this.stopFlag), 0, 1);
      const w = this.worker;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
        w.on('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.obj) L.objectClose(this.obj);
    this.obj = undefined;
  }
}

/** Load one program of the object alone: 0 when the kernel accepts it, else the errno. */
function loadAlone(path: string, prog: string): number {
  const L = libbpf();
  const o = L.openFile(path);
  if (!o) return L.errno() || 1;
  try {
    for (let p = L.nextProgram(o, null); p; p = L.nextProgram(o, p)) L.setAutoload(p, L.programName(p) === prog);
    const r = L.objectLoad(o);
    return r ? -r : 0;
  } finally {
    L.objectClose(o);
  }
}

export { EVENT_SIZE };
