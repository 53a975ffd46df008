// The endpoint agent: driver events → full matching in user space → verdicts → actions → sinks,
// plus the bundle lifecycle (self-tests before activation, atomic swap in kernel and user
// space, last-known-good fallback, status). Safety: the kernel side fails open with no tables;
// kills and user-space blocks only ever target processes inside the scope cgroup; the agent
// exempts itself; every link is unpinned and detached on stop.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LunaEvent } from '../../policy/ast.ts';
import { DiagnosticError } from '../../policy/diagnostics.ts';
import type { KernelTables } from '../../schemas/kernel-tables.ts';
import type { BpfDriver, DriverStats } from '../../driver/driver.ts';
import type { FanotifyGuard, FanotifyReport } from '../../driver/fanotify.ts';
import { F, type RawEvent } from '../../driver/layout.ts';
import { cgroupOfPid, isInside } from '../../driver/cgroup.ts';
import type { Match } from '../matcher.ts';
import { verdict } from '../verdict.ts';
import type { Sink } from '../sinks/types.ts';
import { loadActivation, selfTest, type Activation, type LoadOptions } from './activation.ts';
import { EventMapper } from './events.ts';
import { writeStatus, type AgentStatus } from './status.ts';

export interface AgentOptions {
  bundle: string;
  scopeCgroup?: string;
  dryRun?: boolean;
  /** Enforce outside any scope (a real deployment); never used by tests. */
  enforceSystemWide?: boolean;
  fanotifyDirs?: string[];
  sinks: Sink[];
  stateDir?: string;
  keys?: string[];
  allowPolicySources?: boolean;
  allowUnsigned?: boolean;
  /** Emit events that no rule kept (verdict.logged false) too, marked. */
  logAll?: boolean;
  /** Called for every output record (tests). */
  onRecord?: (rec: OutputRecord) => void;
  wakeBytes?: number;
  pollMs?: number;
  /** Directory of scan policies for the `scan` action (`<name>.scan.yaml`). */
  scanDir?: string;
  /** Keep BPF run-time statistics on (BPF_ENABLE_STATS) and show them in the status. */
  bpfStats?: boolean;
}

export interface OutputRecord {
  Event: string;
  [field: string]: unknown;
}

const EMPTY_TABLES: KernelTables = { format: 'luna-kernel-tables', version: 1, prefilter: {}, rules: [], entries: [] };

export class Agent {
  private opts: AgentOptions;
  private driver?: BpfDriver;
  private fan?: FanotifyGuard;
  private mapper = new EventMapper();
  private active?: Activation;
  private lastError: string | null = null;
  private history: { at: string; revision: number; sha256: string; ok: boolean; error?: string }[] = [];
  private counters = { events: 0, logged: 0, alerts: 0, killed: 0, blockedKernel: 0, wouldBlock: 0, dropped: 0, sinkErrors: 0 };
  private flushTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private reloading: Promise<boolean> = Promise.resolve(true);
  private startedAt = new Date().toISOString();
  private scopeRel?: string;
  private scans?: import('./scan-trigger.ts').ScanTrigger;
  private statsFd = -1;

  constructor(opts: AgentOptions) {
    this.opts = opts;
  }

  get activation(): Activation | undefined {
    return this.active;
  }

  private get enforce(): 0 | 1 | 2 {
    if (this.opts.dryRun) return 0;
    if (this.opts.enforceSystemWide) return 2;
    return this.opts.scopeCgroup ? 1 : 0;
  }

  async start(): Promise<void> {
    const { BpfDriver } = await import('../../driver/driver.ts');
    // Load the first bundle before attaching: a bad bundle falls back to the last known good.
    let first: Activation | undefined;
    try {
      first = await this.prepare(this.opts.bundle);
    } catch (err) {
      this.lastError = errText(err);
      first = await this.lastKnownGood();
      if (!first) throw err;
      this.emitNotice('bundle refused at start, running the last known good', { error: this.lastError, source: first.source });
    }
    this.driver = await BpfDriver.open({
      scopeCgroup: this.opts.scopeCgroup,
      enforce: this.enforce,
      onEvents: (evs) => this.onRaw(evs),
      wakeBytes: this.opts.wakeBytes,
      pollMs: this.opts.pollMs,
    });
    this.scopeRel = this.driver.scope?.rel;
    if (this.opts.bpfStats) {
      const { libbpf } = await import('../../driver/libbpf.ts');
      this.statsFd = libbpf().enableStats();
    }
    if (this.opts.fanotifyDirs?.length) {
      const { FanotifyGuard } = await import('../../driver/fanotify.ts');
      this.fan = await FanotifyGuard.start({
        dirs: this.opts.fanotifyDirs,
        scopeRel: this.scopeRel,
        enforce: this.enforce,
        entries: [],
        onReports: (r) => this.onFanotify(r),
      });
    }
    this.commit(first);
    if (this.opts.scanDir) {
      const { ScanTrigger } = await import('./scan-trigger.ts');
      this.scans = new ScanTrigger({
        dir: this.opts.scanDir,
        stateDir: this.opts.stateDir ? join(this.opts.stateDir, 'scan-state') : undefined,
        emit: (r) => this.emit(r as OutputRecord),
      });
    }
    this.flushTimer = setInterval(() => this.flushSinks(), 200);
    this.statusTimer = setInterval(() => this.saveStatus(), 1000);
    this.saveStatus();
  }

  /** Load + self-test a bundle without touching the running policy. */
  private async prepare(path: string): Promise<Activation> {
    const a = await loadActivation(path, {
      keys: this.opts.keys,
      allowPolicySources: this.opts.allowPolicySources,
      allowUnsigned: this.opts.allowUnsigned,
      minRevision: this.active?.kind === 'bundle' ? this.active.revision : undefined,
    } satisfies LoadOptions);
    if (this.active && a.kind === 'bundle' && this.active.kind === 'bundle' && a.revision < this.active.revision)
      throw new Error(`bundle revision ${a.revision} is older than the active ${this.active.revision}`);
    const problems = selfTest(a);
    if (problems.length) throw new Error(`self-tests failed: ${problems.slice(0, 5).join('; ')}`);
    return a;
  }

  /** Swap kernel tables then the user-space matcher; roll back if the health check fails. */
  private commit(a: Activation): void {
    const d = this.driver!;
    const prev = this.active;
    const built = d.swapTables(a.kernel, { fanotify: !!this.fan });
    const health = this.healthCheck(a);
    if (health) {
      if (prev) d.swapTables(prev.kernel, { fanotify: !!this.fan });
      else d.clearTables();
      throw new Error(`health check failed after swap: ${health}`);
    }
    this.fan?.setEntries(built.userEntries);
    this.active = a;
    this.history.push({ at: new Date().toISOString(), revision: a.revision, sha256: a.sha256, ok: true });
    this.saveLastKnownGood(a);
    this.emitNotice('policy active', { source: a.source, revision: a.revision, sha256: a.sha256, rules: a.ruleCount, notes: built.notes });
  }

  private healthCheck(a: Activation): string | undefined {
    const problems = selfTest(a);
    if (problems.length) return problems[0];
    const s = this.driver!.stats();
    if (!s) return 'driver counters unreadable';
    return undefined;
  }

  /** Hot reload (SIGHUP / `luna agent reload`): never leaves a moment without a policy. */
  reload(path = this.opts.bundle): Promise<boolean> {
    this.reloading = this.reloading.then(async () => {
      try {
        const a = await this.prepare(path);
        this.commit(a);
        this.lastError = null;
        return true;
      } catch (err) {
        this.lastError = errText(err);
        this.history.push({ at: new Date().toISOString(), revision: -1, sha256: '', ok: false, error: this.lastError });
        this.emitNotice('reload refused, previous policy stays active', { source: path, error: this.lastError, active: this.active?.source });
        return false;
      } finally {
        this.saveStatus();
      }
    });
    return this.reloading;
  }

  private onRaw(evs: RawEvent[]): void {
    const a = this.active;
    for (const raw of evs) {
      let ev: LunaEvent | undefined;
      try {
        ev = this.mapper.toLuna(raw);
      } catch {
        continue;
      }
      if (!ev) continue;
      this.counters.events++;
      const kernel = a && raw.rule !== 0xffffffff ? a.kernel.rules[raw.rule] : undefined;
      this.handle(ev, {
        blockedInKernel: (raw.flags & F.blocked) !== 0,
        wouldBlockInKernel: (raw.flags & F.wouldBlock) !== 0,
        kernelRule: raw.flags & (F.blocked | F.wouldBlock) ? kernel?.id : undefined,
        pid: raw.pid,
        gen: raw.gen,
        ...(raw.flags & F.lsm ? { via: 'lsm' } : raw.flags & F.loader ? { via: 'loader' } : {}),
      });
    }
  }

  private onFanotify(reports: FanotifyReport[]): void {
    const a = this.active;
    for (const r of reports) {
      this.counters.events++;
      const ev = this.mapper.fromFanotify(r);
      this.handle(ev, { blockedInKernel: r.blocked, wouldBlockInKernel: r.wouldBlock, kernelRule: a?.kernel.rules[r.rule]?.id, pid: r.pid, via: 'fanotify' });
    }
  }

  private handle(ev: LunaEvent, k: { blockedInKernel: boolean; wouldBlockInKernel: boolean; kernelRule?: string; pid: number; gen?: number; via?: string }): void {
    const a = this.active;
    let matches: Match[] = [];
    if (a) {
      try {
        matches = a.matcher.match(ev);
      } catch {
        matches = [];
      }
    }
    const v = verdict(ev, matches, a?.policies ?? []);
    if (k.blockedInKernel) this.counters.blockedKernel++;
    if (k.wouldBlockInKernel) this.counters.wouldBlock++;
    const actions = new Set(matches.flatMap((m) => m.actions.map((x) => x.kind)));
    const tags = [...new Set(matches.flatMap((m) => m.actions.flatMap((x) => (x.kind === 'tag' ? x.tags : []))))];
    const enforced: string[] = [];
    if (k.blockedInKernel)
      enforced.push(k.via === 'fanotify' ? 'denied (EPERM, fanotify)' : k.via === 'lsm' ? 'denied (EPERM, LSM)' : k.via === 'loader' ? 'killed before the loader ran the binary (SIGKILL, ld.so <binary>)' : ev.type === 'NetworkConnect' ? 'denied (EPERM, cgroup hook)' : 'killed before exec (SIGKILL)');
    // User-space kill (and blocks the kernel could not decide: too late to stop, so kill).
    const wantsKill = actions.has('kill') || (actions.has('block') && !k.blockedInKernel && !k.wouldBlockInKernel);
    if (wantsKill && !k.blockedInKernel) {
      const outcome = this.killInScope(k.pid);
      if (outcome) enforced.push(outcome);
    }
    if (!v.logged && !k.blockedInKernel && !k.wouldBlockInKernel && !this.opts.logAll) {
      this.counters.dropped++;
      return;
    }
    if (v.logged) this.counters.logged++;
    const rec: OutputRecord = {
      Event: ev.type,
      ...ev.fields,
      RuleName: v.ruleName ?? (ev.fields.RuleName as string | undefined) ?? '-',
      Luna: {
        logged: v.logged,
        blocked: k.blockedInKernel,
        ...(k.wouldBlockInKernel || (this.opts.dryRun && (v.blocked || wantsKill)) ? { wouldBlock: true } : {}),
        ...(k.kernelRule ? { kernelRule: k.kernelRule } : {}),
        matches: matches.map((m) => ({ id: m.ruleId, title: m.title, level: m.level, author: m.author, actions: m.actions.map((x) => x.kind) })),
        ...(tags.length ? { tags } : {}),
        ...(enforced.length ? { enforced } : {}),
        ...(k.gen !== undefined ? { generation: k.gen } : {}),
        revision: a?.revision,
      },
    };
    if (actions.has('alert')) this.counters.alerts++;
    this.emit(rec);
    for (const m of matches)
      for (const x of m.actions) {
        if (x.kind !== 'scan') continue;
        const target = x.target ? ev.fields[x.target] : undefined;
        if (this.scans) this.scans.request(x.policy, target === undefined || target === null ? undefined : String(target), m.ruleId);
        else this.emitNotice('scan requested (no --scan-dir: not run)', { policy: x.policy, target, rule: m.ruleId });
      }
  }

  /** SIGKILL a process only if it is inside the scope cgroup, not us, and not in dry run. */
  private killInScope(pid: number): string | undefined {
    if (pid === process.pid || pid <= 1) return undefined;
    if (this.opts.dryRun) return 'would kill (dry run)';
    const cg = cgroupOfPid(pid);
    if (!cg) return 'kill: process already gone';
    if (!this.opts.enforceSystemWide && (!this.scopeRel || !isInside(cg, this.scopeRel))) return 'kill skipped: outside the scope cgroup';
    try {
      process.kill(pid, 'SIGKILL');
      this.counters.killed++;
      return 'killed (SIGKILL from the agent)';
    } catch {
      return 'kill failed';
    }
  }

  private emit(rec: OutputRecord): void {
    this.opts.onRecord?.(rec);
    for (const s of this.opts.sinks) {
      try {
        s.write(rec);
      } catch {
        this.counters.sinkErrors++;
      }
    }
  }

  private emitNotice(message: string, extra: Record<string, unknown>): void {
    this.emit({ Event: 'AgentNotice', UtcTime: new Date().toISOString(), Message: message, ...extra });
  }

  private flushSinks(): void {
    for (const s of this.opts.sinks) {
      try {
        s.flush();
      } catch {
        this.counters.sinkErrors++;
      }
    }
  }

  private lkgDir(): string | undefined {
    return this.opts.stateDir ? join(this.opts.stateDir, 'lkg') : undefined;
  }

  /** A/B slots: the newest good bundle goes into the slot not holding the current one. */
  private saveLastKnownGood(a: Activation): void {
    const dir = this.lkgDir();
    if (!dir || a.kind !== 'bundle') return;
    try {
      mkdirSync(dir, { recursive: true });
      const metaPath = join(dir, 'slots.json');
      const meta = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as { current?: 'a' | 'b' }) : {};
      const slot = meta.current === 'a' ? 'b' : 'a';
      copyFileSync(a.source, join(dir, `slot-${slot}.lbundle`));
      writeJson(metaPath, { current: slot, revision: a.revision, sha256: a.sha256 });
    } catch {
      // LKG is best effort; the status shows lastError for the reload that matters
    }
  }

  private async lastKnownGood(): Promise<Activation | undefined> {
    const dir = this.lkgDir();
    if (!dir) return undefined;
    try {
      const meta = JSON.parse(readFileSync(join(dir, 'slots.json'), 'utf8')) as { current: 'a' | 'b' };
      for (const slot of [meta.current, meta.current === 'a' ? 'b' : 'a']) {
        try {
          return await this.prepare(join(dir, `slot-${slot}.lbundle`));
        } catch {
          // try the other slot
        }
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  status(): AgentStatus {
    const a = this.active;
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      scopeCgroup: this.opts.scopeCgroup ?? null,
      mode: this.opts.dryRun ? 'dry-run' : this.enforce === 0 ? 'monitor' : 'enforce',
      active: a ? { source: a.source, kind: a.kind, revision: a.revision, sha256: a.sha256, rules: a.ruleCount, since: a.loadedAt, generation: this.driver?.activeGeneration ?? -1 } : null,
      lastError: this.lastError,
      history: this.history.slice(-10),
      counters: { ...this.counters },
      driver: this.driver?.stats() ?? null,
      attached: this.driver?.attached ?? [],
      unavailable: this.driver?.unavailable ?? [],
      ...(this.statsFd >= 0 ? { programs: this.driver?.programStats() ?? [] } : {}),
      fanotifyDirs: this.opts.fanotifyDirs ?? [],
    };
  }

  private saveStatus(): void {
    if (!this.opts.stateDir) return;
    try {
      writeStatus(this.opts.stateDir, this.status());
    } catch {
      // status is advisory
    }
  }

  /** Detach / re-attach the BPF programs, keeping tables (benchmarks: paired with/without). */
  detachDriver(): void {
    this.driver?.detach();
  }

  reattachDriver(): void {
    this.driver?.reattach();
  }

  programStats(): { name: string; runTimeNs: number; runCount: number }[] {
    return this.driver?.programStats() ?? [];
  }

  driverStats(): DriverStats | undefined {
    return this.driver?.stats();
  }

  /** Clean detach: links destroyed, workers stopped, sinks flushed. Idempotent. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.statusTimer);
    await this.reloading.catch(() => undefined);
    await this.fan?.stop();
    this.fan = undefined;
    this.scans?.stop();
    this.saveStatus();
    await this.driver?.close();
    if (this.statsFd >= 0) {
      const { libbpf } = await import('../../driver/libbpf.ts');
      libbpf().closeFd(this.statsFd);
      this.statsFd = -1;
    }
    this.driver = undefined;
    for (const s of this.opts.sinks) await s.close().catch(() => undefined);
  }
}

function errText(err: unknown): string {
  if (err instanceof DiagnosticError) return err.diagnostics.map((d) => `${d.code}: ${d.message}`).join('; ');
  return err instanceof Error ? err.message : String(err);
}

function writeJson(path: string, v: unknown): void {
  writeStatusFile(path, JSON.stringify(v));
}

import { renameSync, writeFileSync } from 'node:fs';
function writeStatusFile(path: string, text: string): void {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

export { EMPTY_TABLES };
