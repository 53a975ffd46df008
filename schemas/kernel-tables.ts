// The kernel partition of a bundle: what the compiler hands to the BPF driver.
// The compiler (compiler/) emits one KernelTables object per bundle (as JSON, e.g. the bundle
// file `kernel.json`); the driver (driver/) turns it into BPF map entries. This file is the
// whole contract between them: plain data, no behaviour beyond validation and constants.
//
// Semantics the compiler must respect:
// - An entry is ONE predicate on ONE field of ONE event type. The kernel decides single-
//   predicate rules only (rule = OR of its entries). Anything richer stays in user space.
// - effect 'block' / 'kill' are decided in the kernel (exec → SIGKILL before the new image
//   runs, connect → EPERM from the cgroup hook, open → EPERM through fanotify). They are
//   honoured only for tasks inside the agent's scope cgroup and only when enforcing.
// - effect 'report' is a prefilter hint: "send this event up, a user-space rule may match it".
//   With prefilter[type] = 'matches', the kernel drops events of that type that hit no entry,
//   so the compiler MUST add a 'report' entry for a necessary literal of every user-space rule
//   on that type (e.g. the Image endswith of a rule that also tests CommandLine) or use 'all'.
// - Path comparisons in the kernel are on the ASCII-lowercased path (Sigma/Sysmon semantics are
//   caseless). Values must therefore be lowercase; a `cased` predicate may only appear here as
//   a 'report' over-approximation, never as 'block'/'kill'.
// - Paths longer than KERNEL_PATH_MAX bytes never hit 'eq' entries; prefixes/suffixes longer
//   than that are refused when the tables load (LUN8006).
// - 'eq' on Image / TargetFilename is also enforced by inode: the agent stats the value when it
//   loads the tables and adds (dev, inode) to the inode set, so symlinks and hard links to a
//   denied file are denied too. op 'inode' asks for the inode set only.

export const KERNEL_TABLES_FORMAT = 'luna-kernel-tables';
export const KERNEL_TABLES_VERSION = 1;

/** Longest path (bytes, without NUL) the kernel compares. */
export const KERNEL_PATH_MAX = 254;

/** Event types the driver produces, with Sysmon-for-Linux field names. */
export const KERNEL_EVENT_TYPES = [
  'ProcessCreate',
  'ProcessTerminate',
  'FileCreate',
  'FileDelete',
  /** Not a Sysmon type: a file open seen through fanotify (used for open blocks). */
  'FileOpen',
  'NetworkConnect',
  'ProcessAccess',
] as const;
export type KernelEventType = (typeof KERNEL_EVENT_TYPES)[number];

/** Which fields each event type can be decided on in the kernel, and with which ops. */
export const KERNEL_FIELDS: Record<KernelEventType, Partial<Record<string, readonly KernelOp[]>>> = {
  ProcessCreate: { Image: ['eq', 'startswith', 'endswith', 'inode'] },
  ProcessTerminate: { Image: ['eq', 'startswith', 'endswith'] },
  FileCreate: { TargetFilename: ['eq', 'startswith', 'endswith'] },
  FileDelete: { TargetFilename: ['eq', 'startswith', 'endswith'] },
  FileOpen: { TargetFilename: ['eq', 'startswith', 'endswith', 'inode'] },
  NetworkConnect: { DestinationIp: ['eq', 'cidr'], DestinationPort: ['eq'] },
  ProcessAccess: { TargetImage: ['eq', 'startswith', 'endswith'] },
};

export type KernelOp = 'eq' | 'startswith' | 'endswith' | 'cidr' | 'inode';
export type KernelEffect = 'block' | 'kill' | 'report';

/**
 * What the kernel sends up for an event type:
 * - 'all': every event (a user-space rule needs them, or the policy logs everything);
 * - 'matches': only events that hit some entry of that type;
 * - 'none': nothing (no rule can match and the default is drop). Missing type = 'none'.
 */
export type KernelPrefilter = 'all' | 'matches' | 'none';

export interface KernelEntry {
  /** Index into KernelTables.rules (for attribution of kernel verdicts). */
  rule: number;
  on: KernelEventType;
  field: string;
  op: KernelOp;
  /** Lowercase path / IP text / CIDR text ("10.0.0.0/8", "::1/128") / port number. */
  value: string | number;
  effect: KernelEffect;
}

export interface KernelRuleRef {
  id: string;
  title: string;
  /** Sysmon-style RuleName, when the rule has one. */
  ruleName?: string;
}

export interface KernelTables {
  format: typeof KERNEL_TABLES_FORMAT;
  version: typeof KERNEL_TABLES_VERSION;
  prefilter: Partial<Record<KernelEventType, KernelPrefilter>>;
  rules: KernelRuleRef[];
  entries: KernelEntry[];
}

/** Problems with a KernelTables object, as plain messages (empty = valid). */
export function validateKernelTables(t: unknown): string[] {
  const errs: string[] = [];
  if (!t || typeof t !== 'object') return ['kernel tables: not an object'];
  const k = t as Partial<KernelTables>;
  if (k.format !== KERNEL_TABLES_FORMAT) errs.push(`format must be '${KERNEL_TABLES_FORMAT}'`);
  if (k.version !== KERNEL_TABLES_VERSION) errs.push(`version must be ${KERNEL_TABLES_VERSION}`);
  if (!Array.isArray(k.rules)) errs.push('rules must be an array');
  if (!Array.isArray(k.entries)) errs.push('entries must be an array');
  if (!k.prefilter || typeof k.prefilter !== 'object') errs.push('prefilter must be an object');
  if (errs.length) return errs;
  for (const [type, mode] of Object.entries(k.prefilter!)) {
    if (!(KERNEL_EVENT_TYPES as readonly string[]).includes(type)) errs.push(`prefilter: unknown event type '${type}'`);
    if (mode !== 'all' && mode !== 'matches' && mode !== 'none') errs.push(`prefilter.${type}: bad mode '${String(mode)}'`);
  }
  k.entries!.forEach((e, i) => {
    const where = `entries[${i}]`;
    if (!Number.isInteger(e.rule) || e.rule < 0 || e.rule >= k.rules!.length) errs.push(`${where}: rule index out of range`);
    const ops = KERNEL_FIELDS[e.on as KernelEventType]?.[e.field];
    if (!ops) errs.push(`${where}: field '${e.field}' of '${e.on}' is not decidable in the kernel`);
    else if (!ops.includes(e.op)) errs.push(`${where}: op '${e.op}' not supported on ${e.on}.${e.field}`);
    if (e.effect !== 'block' && e.effect !== 'kill' && e.effect !== 'report') errs.push(`${where}: bad effect`);
    if (typeof e.value === 'string' && e.field !== 'DestinationIp' && e.value !== e.value.toLowerCase())
      errs.push(`${where}: path values must be lowercase`);
    if (typeof e.value === 'string' && Buffer.byteLength(e.value) > KERNEL_PATH_MAX) errs.push(`${where}: value longer than ${KERNEL_PATH_MAX} bytes`);
  });
  return errs;
}
