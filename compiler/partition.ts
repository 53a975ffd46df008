// Stage 8 — partition (DESIGN §5, §7; contract: schemas/kernel-tables.ts): which rules a BPF
// program decides in the kernel, and for every other rule the first reason it cannot. The
// kernel decides single-predicate rules only (rule = OR of entries): exact/prefix/suffix on
// the paths the driver sees, exact/CIDR destination IPs, exact destination ports. For the
// rest it gets 'report' entries (a necessary literal per DNF term) so it can drop, in the
// kernel, events no rule can match (prefilter 'matches').

import {
  KERNEL_EVENT_TYPES, KERNEL_FIELDS, KERNEL_PATH_MAX, KERNEL_TABLES_FORMAT, KERNEL_TABLES_VERSION,
  type KernelEntry, type KernelEventType, type KernelOp, type KernelPrefilter, type KernelTables,
} from '../schemas/kernel-tables.ts';
import type { CompileContext } from './context.ts';
import type { CompiledRule, Placement, Pred } from './ir.ts';
import { predsOfProgram } from './tables.ts';

const isKernelType = (t: string): t is KernelEventType => (KERNEL_EVENT_TYPES as readonly string[]).includes(t);

/** The kernel op for a predicate on an event type, or the reason there is none. */
export function kernelOp(p: Pred, on: string): { op: KernelOp; value: string | number } | { why: string } {
  const what = `${p.op} on ${p.field}`;
  if (p.op === 'keyword') return { why: 'keyword search scans every field: no kernel map can answer it' };
  if (p.op === 'fieldref') return { why: `${p.field} compared with field ${p.value}: field-to-field compares need the whole event` };
  if (p.op === 'timepart') return { why: `${p.part} of ${p.field}: time parts are computed in user space` };
  if (!isKernelType(on)) return { why: `event type ${on} has no kernel program` };
  const ops = KERNEL_FIELDS[on][p.field];
  if (!ops) return { why: `field ${p.field} of ${on} is not visible to the kernel program` };
  let op: KernelOp | undefined;
  let value: string | number = p.value;
  switch (p.op) {
    case 'str-eq':
      op = 'eq';
      break;
    case 'num-eq':
      op = 'eq';
      if (p.field !== 'DestinationPort') return { why: `${what}: numbers compare in the kernel on ports only` };
      break;
    case 'startswith':
    case 'endswith':
      op = p.op;
      break;
    case 'cidr':
      op = 'cidr';
      break;
    case 'contains':
      return { why: `${what}: substring search needs Aho-Corasick in user space (kernel maps do exact/prefix/suffix)` };
    case 'regex':
      return { why: `${what}: BPF has no regex engine` };
    case 'glob':
      return { why: `${what}: general wildcards need a user-space matcher` };
    default:
      return { why: `${what}: not decidable by kernel maps` };
  }
  if (!ops.includes(op)) return { why: `${what}: the kernel supports ${ops.join('/')} on ${on}.${p.field}` };
  if (typeof value === 'string') {
    if (p.cased) return { why: `${what}: case-sensitive compare (the kernel folds ASCII case)` };
    if (/[^\x00-\x7f]/.test(value)) return { why: `${what}: non-ASCII text (the kernel folds ASCII case only)` };
    if (Buffer.byteLength(value) > KERNEL_PATH_MAX) return { why: `${what}: value longer than ${KERNEL_PATH_MAX} bytes` };
    if (value === '') return { why: `${what}: empty value` };
  }
  return { op, value };
}

function rulePlacement(ctx: CompileContext, rule: CompiledRule): Placement {
  if (!rule.enabled) return { where: 'user', reason: 'rule is disabled' };
  for (const t of rule.on) if (!isKernelType(t)) return { where: 'user', reason: `event type ${t} has no kernel program` };
  if (!rule.dnf) return { where: 'user', reason: 'condition too large for a DNF (expression program)' };
  if (rule.dnf.length === 0) return { where: 'user', reason: 'rule never matches' };
  for (const p of predsOfProgram(rule.prog)) {
    for (const t of rule.on) {
      const k = kernelOp(ctx.predicates[p], t);
      if ('why' in k) return { where: 'user', reason: k.why };
    }
  }
  for (const t of rule.dnf) {
    if (t.neg.length) return { where: 'user', reason: 'negated predicate: the kernel decides single positive predicates only' };
    if (t.pos.length !== 1) return { where: 'user', reason: 'AND of several predicates: the kernel decides single-predicate rules only' };
  }
  return { where: 'kernel', reason: 'single exact/prefix/suffix/port/CIDR predicates' };
}

export function partition(ctx: CompileContext): void {
  for (const r of ctx.rules) r.placement = rulePlacement(ctx, r);
}

/** The kernel partition in the driver's format (schemas/kernel-tables.ts). */
export function kernelTables(ctx: CompileContext): KernelTables {
  const refs: { id: string; title: string; ruleName?: string }[] = [];
  const entries: KernelEntry[] = [];
  const prefilter: Partial<Record<KernelEventType, KernelPrefilter>> = {};
  const logAll = (t: string) => ctx.policies.some((p) => p.defaults[t] === 'log');
  for (const t of KERNEL_EVENT_TYPES) {
    const table = ctx.tables[t];
    if (!table || table.rules.length === 0) {
      prefilter[t] = logAll(t) ? 'all' : 'none';
      continue;
    }
    let mode: KernelPrefilter = logAll(t) ? 'all' : 'matches';
    const typeEntries: KernelEntry[] = [];
    for (const ri of table.rules) {
      const rule = ctx.rules[ri];
      const kernel = rule.placement.where === 'kernel';
      const effect = kernel && rule.actions.some((a) => a.kind === 'kill') ? 'kill' : kernel && rule.actions.some((a) => a.kind === 'block') ? 'block' : 'report';
      let ref = -1;
      const add = (p: number) => {
        const k = kernelOp(ctx.predicates[p], t);
        if ('why' in k) return false;
        if (ref < 0) {
          ref = refs.length;
          refs.push({ id: rule.id, title: rule.title, ...(rule.ruleName ? { ruleName: rule.ruleName } : {}) });
        }
        typeEntries.push({ rule: ref, on: t, field: ctx.predicates[p].field, op: k.op, value: k.value, effect });
        return true;
      };
      if (!rule.dnf || rule.dnf.length === 0) {
        if (!rule.dnf) mode = mode === 'matches' ? 'all' : mode;
        continue;
      }
      for (const term of rule.dnf) {
        // One necessary kernel-decidable literal per term keeps the prefilter sound.
        if (!term.pos.some((p) => add(p))) mode = 'all';
      }
    }
    entries.push(...typeEntries);
    prefilter[t] = mode;
  }
  return { format: KERNEL_TABLES_FORMAT, version: KERNEL_TABLES_VERSION, prefilter, rules: refs, entries };
}
