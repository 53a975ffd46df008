// KernelTables (schemas/kernel-tables.ts) → BPF map entries for one generation.
// Longest-prefix maps return only the longest stored prefix, so every entry's flags are
// merged with those of the shorter entries it extends (else a longer 'report' prefix would
// hide a shorter 'block' one). Exact Image/TargetFilename values are also stat'ed into the
// inode set, so a symlink or a hard link to a denied file is denied too.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { KernelEntry, KernelTables } from '../schemas/kernel-tables.ts';
import { validateKernelTables } from '../schemas/kernel-tables.ts';
import { CLS, H, NCLS, P, T, inodeKey, kernelDev, lpmPathKey, pathKey, portKey, tval, v4Key, v6Key, type GenCfg } from './layout.ts';

export type MapName = 'path_exact' | 'path_prefix' | 'path_suffix' | 'inodes' | 'ports' | 'nets4' | 'nets6';

export interface MapWrite {
  map: MapName;
  key: Buffer;
  value: Buffer;
}

export interface BuiltTables {
  writes: MapWrite[];
  gen: GenCfg;
  /** Entries decided in user space by fanotify (FileOpen, and exec blocks when marks exist),
   *  with the "dev:ino" (user-space st_dev) of every file their value names. */
  userEntries: UserEntry[];
  /** Values that could not be turned into inode entries (missing files), for status output. */
  notes: string[];
}

export type UserEntry = KernelEntry & { inodes?: string[] };

/**
 * Every existing file a lowercase path names: the kernel partition holds case-folded paths, so
 * each component is matched caselessly against the directory (all matches are kept).
 */
export function resolveCaseless(path: string): string[] {
  try {
    statSync(path);
    return [path];
  } catch {
    // fall through to the caseless walk
  }
  const parts = path.split('/').filter(Boolean);
  let cands = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of cands) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) if (n.toLowerCase() === part.toLowerCase()) next.push(join(dir, n));
    }
    cands = next.slice(0, 16);
    if (!cands.length) return [];
  }
  return cands;
}

const EFFECT: Record<string, number> = { block: T.block, kill: T.kill, report: T.report };

interface Acc {
  rule: number;
  flags: number;
}

function add(m: Map<string, Acc>, k: string, e: KernelEntry): void {
  const f = EFFECT[e.effect];
  const cur = m.get(k);
  if (!cur) m.set(k, { rule: e.rule, flags: f });
  else {
    // the first blocking rule names the verdict
    if (!(cur.flags & (T.block | T.kill)) && f & (T.block | T.kill)) cur.rule = e.rule;
    cur.flags |= f;
  }
}

/** Merge each key's flags with those of all stored keys that are its prefixes (same class). */
function mergePrefixes(m: Map<string, Acc>): void {
  const keys = [...m.keys()].sort((a, b) => a.length - b.length);
  for (let i = 0; i < keys.length; i++) {
    const ki = keys[i];
    for (let j = 0; j < i; j++) {
      const kj = keys[j];
      if (ki.startsWith(kj)) {
        const a = m.get(ki)!;
        const b = m.get(kj)!;
        if (!(a.flags & (T.block | T.kill)) && b.flags & (T.block | T.kill)) a.rule = b.rule;
        a.flags |= b.flags;
      }
    }
  }
}

function ipBytes(text: string): Buffer {
  if (isIP(text) === 4) return Buffer.from(text.split('.').map(Number));
  // IPv6: expand '::'
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return b;
}

/** Bits of a CIDR text as a binary string (for prefix merging) plus the parsed parts. */
function parseCidr(value: string): { v6: boolean; addr: Buffer; bits: number } {
  const [ip, len] = value.split('/');
  const v = isIP(ip);
  if (!v) throw new Error(`bad IP address '${ip}'`);
  const max = v === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`bad prefix length in '${value}'`);
  return { v6: v === 6, addr: ipBytes(ip), bits };
}

function bitString(addr: Buffer, bits: number): string {
  let s = '';
  for (let i = 0; i < bits; i++) s += (addr[i >> 3] >> (7 - (i & 7))) & 1;
  return s;
}

export function buildTables(t: KernelTables, gen: number, opts: { fanotify?: boolean } = {}): BuiltTables {
  const errs = validateKernelTables(t);
  if (errs.length) throw new Error(`invalid kernel tables: ${errs.join('; ')}`);
  const exact = new Map<string, Acc>();
  const prefix = new Map<string, Acc>();
  const suffix = new Map<string, Acc>();
  const inodes = new Map<string, Acc>();
  const ports = new Map<string, Acc>();
  const nets4 = new Map<string, Acc>();
  const nets6 = new Map<string, Acc>();
  const has = new Array<number>(NCLS).fill(0);
  const notes: string[] = [];
  const userEntries: UserEntry[] = [];
  const userEntry = (e: KernelEntry): UserEntry => {
    if (e.op !== 'eq' && e.op !== 'inode') return e;
    const inodes = resolveCaseless(String(e.value)).map((p) => {
      const st = statSync(p, { bigint: true });
      return `${st.dev}:${st.ino}`;
    });
    return { ...e, inodes };
  };
  for (const e of t.entries) {
    const cls = CLS[e.on];
    if (e.on === 'FileOpen') {
      userEntries.push(userEntry(e));
      continue;
    }
    if (opts.fanotify && e.on === 'ProcessCreate' && e.effect !== 'report') userEntries.push(userEntry(e));
    const v = String(e.value);
    if (e.field === 'DestinationPort') {
      add(ports, `${cls}:${Number(e.value)}`, e);
      has[cls] |= H.port;
    } else if (e.field === 'DestinationIp') {
      const c = parseCidr(v);
      add(c.v6 ? nets6 : nets4, bitString(c.addr, c.bits), e);
      has[cls] |= c.v6 ? H.v6 : H.v4;
    } else {
      if (e.op === 'eq') {
        add(exact, `${cls}\0${v}`, e);
        has[cls] |= H.exact;
      }
      if (e.op === 'startswith') {
        add(prefix, `${cls}\0${v}`, e);
        has[cls] |= H.prefix;
      }
      if (e.op === 'endswith') {
        add(suffix, `${cls}\0${[...Buffer.from(v)].reverse().map((c) => String.fromCharCode(c)).join('')}`, e);
        has[cls] |= H.suffix;
      }
      if ((e.op === 'eq' || e.op === 'inode') && (e.effect !== 'report' || e.op === 'inode')) {
        const files = resolveCaseless(v);
        for (const f of files) {
          const st = statSync(f, { bigint: true });
          add(inodes, `${cls}:${kernelDev(st.dev)}:${st.ino}`, e);
          has[cls] |= H.inode;
        }
        if (!files.length) notes.push(`${v}: not found here, inode entry skipped (path entry still active)`);
      }
    }
  }
  mergePrefixes(prefix);
  mergePrefixes(suffix);
  mergePrefixes(nets4);
  mergePrefixes(nets6);
  const writes: MapWrite[] = [];
  const val = (a: Acc) => tval(a.rule, a.flags);
  for (const [k, a] of exact) {
    const [cls, p] = [Number(k.slice(0, k.indexOf('\0'))), k.slice(k.indexOf('\0') + 1)];
    writes.push({ map: 'path_exact', key: pathKey(gen, cls, Buffer.from(p)), value: val(a) });
  }
  for (const [k, a] of prefix) {
    const [cls, p] = [Number(k.slice(0, k.indexOf('\0'))), k.slice(k.indexOf('\0') + 1)];
    writes.push({ map: 'path_prefix', key: lpmPathKey(gen, cls, Buffer.from(p)), value: val(a) });
  }
  for (const [k, a] of suffix) {
    const [cls, p] = [Number(k.slice(0, k.indexOf('\0'))), k.slice(k.indexOf('\0') + 1)];
    writes.push({ map: 'path_suffix', key: lpmPathKey(gen, cls, Buffer.from(p, 'latin1')), value: val(a) });
  }
  for (const [k, a] of inodes) {
    const [cls, dev, ino] = k.split(':');
    writes.push({ map: 'inodes', key: inodeKey(gen, Number(cls), BigInt(dev), BigInt(ino)), value: val(a) });
  }
  for (const [k, a] of ports) {
    const [cls, port] = k.split(':').map(Number);
    writes.push({ map: 'ports', key: portKey(gen, cls, port), value: val(a) });
  }
  for (const [bits, a] of nets4) writes.push({ map: 'nets4', key: v4Key(gen, bitsToBytes(bits, 4), bits.length), value: val(a) });
  for (const [bits, a] of nets6) writes.push({ map: 'nets6', key: v6Key(gen, bitsToBytes(bits, 16), bits.length), value: val(a) });
  const prefilter = new Array<number>(NCLS).fill(P.none);
  for (const [type, mode] of Object.entries(t.prefilter)) prefilter[CLS[type as keyof typeof CLS]] = P[mode ?? 'none'];
  return { writes, gen: { loaded: true, prefilter, has }, userEntries, notes };
}

function bitsToBytes(bits: string, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') b[i >> 3] |= 1 << (7 - (i & 7));
  return b;
}

/** Kernel-style decision over user-space entries (used by the fanotify worker). */
export function matchPathEntries(entries: readonly UserEntry[], on: string, path: string, inode?: { dev: bigint; ino: bigint }): UserEntry | undefined {
  const p = path.toLowerCase();
  let hit: KernelEntry | undefined;
  for (const e of entries) {
    if (e.on !== on) continue;
    const v = String(e.value);
    let ok = false;
    if (e.op === 'eq') ok = p === v;
    else if (e.op === 'startswith') ok = p.startsWith(v);
    else if (e.op === 'endswith') ok = p.endsWith(v);
    if (!ok && (e.op === 'eq' || e.op === 'inode') && inode && e.inodes) ok = e.inodes.includes(`${inode.dev}:${inode.ino}`);
    if (ok && (!hit || (hit.effect === 'report' && e.effect !== 'report'))) hit = e;
  }
  return hit;
}
