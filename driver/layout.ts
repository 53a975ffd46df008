// The byte layout of driver/bpf/luna.h, mirrored for TypeScript: constants, map key/value
// encoders and the raw event decoder. Keep in step with luna.h (test/driver/layout.test.ts
// checks the offsets against the compiled object's BTF).

export const PATH_BUF = 256;
export const KPATH = 254;
export const EVENT_SIZE = 1704;
export const SMALL_EVENT = 168;
export const NET_EVENT = 424;

export const CLS = {
  ProcessCreate: 1,
  ProcessTerminate: 2,
  FileCreate: 3,
  FileDelete: 4,
  FileOpen: 5,
  NetworkConnect: 6,
  ProcessAccess: 7,
} as const;
export const NCLS = 8;

export const EV = { exec: 1, exit: 2, fcreate: 3, fdelete: 4, rename: 5, connect: 6, accept: 7, ptrace: 8, fork: 9 } as const;
export const F = { blocked: 1, wouldBlock: 2, hit: 4, trunc: 8, rel: 16, noTables: 32, lsm: 64, loader: 128 } as const;
export const T = { block: 1, kill: 2, report: 4 } as const;
export const H = { exact: 1, prefix: 2, suffix: 4, inode: 8, port: 16, v4: 32, v6: 64 } as const;
export const P = { none: 0, matches: 1, all: 2 } as const;

export const S = { seen: 0, sent: 8, filtered: 16, lost: 24, blocked: 32, wouldBlock: 33, outOfScope: 34, exempt: 35 } as const;
export const NSTATS = 40;

export const GEN_CFG_SIZE = 4 + 4 * NCLS * 2; // loaded, prefilter[8], has[8]
export const GLOB_CFG_SIZE = 32;

export interface GlobCfg {
  activeGen: number;
  agentTgid: number;
  scopeCgid: bigint;
  scopeLevel: number;
  /** 0 dry run, 1 enforce inside scope, 2 enforce system-wide. */
  enforce: number;
  wakeBytes: number;
}

export function encodeGlob(g: GlobCfg): Buffer {
  const b = Buffer.alloc(GLOB_CFG_SIZE);
  b.writeUInt32LE(g.activeGen, 0);
  b.writeUInt32LE(g.agentTgid, 4);
  b.writeBigUInt64LE(g.scopeCgid, 8);
  b.writeUInt32LE(g.scopeLevel, 16);
  b.writeUInt32LE(g.enforce, 20);
  b.writeUInt32LE(g.wakeBytes, 24);
  return b;
}

export interface GenCfg {
  loaded: boolean;
  prefilter: number[]; // by class
  has: number[]; // by class
}

export function encodeGen(c: GenCfg): Buffer {
  const b = Buffer.alloc(GEN_CFG_SIZE);
  b.writeUInt32LE(c.loaded ? 1 : 0, 0);
  for (let i = 0; i < NCLS; i++) {
    b.writeUInt32LE(c.prefilter[i] ?? 0, 4 + 4 * i);
    b.writeUInt32LE(c.has[i] ?? 0, 4 + 4 * NCLS + 4 * i);
  }
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function tval(rule: number, flags: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(rule, 0);
  b.writeUInt32LE(flags, 4);
  return b;
}

/** Hash key for path_exact: gen, cls, path (zero padded). */
export function pathKey(gen: number, cls: number, path: Buffer): Buffer {
  const b = Buffer.alloc(2 + KPATH);
  b[0] = gen;
  b[1] = cls;
  path.copy(b, 2, 0, Math.min(path.length, KPATH));
  return b;
}

/** LPM key for path_prefix / path_suffix: prefixlen in bits covers gen, cls and the bytes. */
export function lpmPathKey(gen: number, cls: number, bytes: Buffer): Buffer {
  const b = Buffer.alloc(4 + 2 + KPATH);
  const n = Math.min(bytes.length, KPATH);
  b.writeUInt32LE((2 + n) * 8, 0);
  b[4] = gen;
  b[5] = cls;
  bytes.copy(b, 6, 0, n);
  return b;
}

export function inodeKey(gen: number, cls: number, dev: bigint, ino: bigint): Buffer {
  const b = Buffer.alloc(24);
  b[0] = gen;
  b[1] = cls;
  b.writeBigUInt64LE(dev, 8);
  b.writeBigUInt64LE(ino, 16);
  return b;
}

export function portKey(gen: number, cls: number, port: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = gen;
  b[1] = cls;
  b.writeUInt16LE(port, 2);
  return b;
}

/** LPM key: prefix length (the generation byte counts as 8 bits), generation, address bytes. */
function addrKey(gen: number, addr: Buffer, bits: number, addrBytes: number, keyBytes: number): Buffer {
  const b = Buffer.alloc(keyBytes);
  b.writeUInt32LE(8 + bits, 0);
  b[4] = gen;
  addr.copy(b, 5, 0, addrBytes);
  return b;
}

export function v4Key(gen: number, addr: Buffer, bits: number): Buffer {
  return addrKey(gen, addr, bits, 4, 12);
}

export function v6Key(gen: number, addr: Buffer, bits: number): Buffer {
  return addrKey(gen, addr, bits, 16, 24);
}

/** Linux's kernel-internal dev_t (MKDEV: major << 20 | minor) from a user-space st_dev. */
export function kernelDev(stDev: bigint): bigint {
  const major = (stDev >> 8n) & 0xfffn;
  const minor = (stDev & 0xffn) | ((stDev >> 12n) & 0xfff00n);
  return (major << 20n) | minor;
}

export interface RawEvent {
  type: number;
  flags: number;
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  ts: bigint;
  startTime: bigint;
  pstartTime: bigint;
  cgid: bigint;
  rule: number;
  gen: number;
  comm: string;
  dev: bigint;
  ino: bigint;
  path: string;
  path2: string;
  cwd: string;
  args: string[];
  /** Parent's executable (exec events). */
  pexe: string;
  exitCode: number;
  targetPid: number;
  access: number;
  family: number;
  proto: number;
  sport: number;
  dport: number;
  saddr: Buffer;
  daddr: Buffer;
}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

export function decodeEvent(b: Buffer): RawEvent {
  const big = b.length >= EVENT_SIZE;
  const net = b.length >= NET_EVENT;
  const argsLen = big ? Math.min(b.readUInt32LE(108), 511) : 0;
  let args: string[] = [];
  if (argsLen > 0) {
    const raw = b.subarray(936, 936 + argsLen);
    args = raw.toString('utf8').split('\0');
    if (args.length && args[args.length - 1] === '') args.pop();
  }
  return {
    type: b.readUInt32LE(0),
    flags: b.readUInt32LE(4),
    pid: b.readUInt32LE(8),
    tid: b.readUInt32LE(12),
    ppid: b.readUInt32LE(16),
    uid: b.readUInt32LE(20),
    ts: b.readBigUInt64LE(24),
    startTime: b.readBigUInt64LE(32),
    pstartTime: b.readBigUInt64LE(40),
    cgid: b.readBigUInt64LE(48),
    rule: b.readUInt32LE(56),
    gen: b.readUInt32LE(60),
    comm: cstr(b, 64, 16),
    dev: b.readBigUInt64LE(80),
    ino: b.readBigUInt64LE(88),
    exitCode: b.readUInt32LE(112),
    targetPid: b.readUInt32LE(116),
    access: b.readUInt32LE(120),
    family: b.readUInt16LE(124),
    proto: b.readUInt16LE(126),
    sport: b.readUInt16LE(128),
    dport: b.readUInt16LE(130),
    saddr: Buffer.from(b.subarray(136, 152)),
    daddr: Buffer.from(b.subarray(152, 168)),
    path: net ? cstr(b, 168, PATH_BUF) : '',
    path2: big ? cstr(b, 424, PATH_BUF) : '',
    cwd: big ? cstr(b, 680, PATH_BUF) : '',
    args,
    pexe: big ? cstr(b, 1448, PATH_BUF) : '',
  };
}
