// Stage 7 — index: per rule, a set of "required predicates", at least one of which fires on
// every event the rule matches. The matcher evaluates only rules one of whose required
// predicates fired (plus the few with none, the "always" list). OPA's rule index, in small.

import type { CompileContext } from './context.ts';
import type { NExpr, Pred } from './ir.ts';
import { fromProgram } from './program.ts';
import { isEager } from './tables.ts';

// Fields that usually hold long free text (command lines, scripts, call stacks, rendered
// messages): a substring key on one makes the matcher scan the whole value for every event.
const FREE_TEXT = new Set(['commandline', 'parentcommandline', 'calltrace', 'scriptblocktext', 'payload', 'contextinfo', 'message', 'details', 'hashes', 'queryresults', 'data']);

// Path and registry roots most events' paths start with.
const COMMON_ROOTS = ['c:\\windows\\system32\\', 'c:\\windows\\syswow64\\', 'c:\\program files\\', 'c:\\program files (x86)\\', 'c:\\users\\',
  'c:\\programdata\\', '\\device\\harddiskvolume', 'hklm\\software\\', 'hklm\\system\\currentcontrolset\\', 'hku\\', 'hkcu\\', '\\registry\\machine\\', '/usr/', '/home/', '/tmp/'];

// Fields that say which log source an event comes from.
const ROUTING = new Set(['eventid', 'channel', 'provider_name', 'sourcename', 'eventtype', 'category', 'task', 'opcode', 'level', 'keywords']);

// Values that many events carry: flags, dashes, tiny numbers, booleans.
const GENERIC = /^(?:true|false|yes|no|null|none|-|.{0,2}|\d{1,3})$/i;

/** A guess at the share of events on which a predicate holds (no data: shapes of values).
 *  Basenames and full paths are rare; extensions, drive/system directory prefixes, short
 *  substrings and flag values are common; `exists` holds almost always. */
function selectivity(p: Pred): number {
  const v = String(p.value);
  // Logsource guards (which channel, which event id) hold for every event of a log source:
  // every rule of that source has them, so they tell nothing apart.
  if (ROUTING.has(p.field.toLowerCase())) return 0.5;
  switch (p.op) {
    case 'str-eq':
    case 'num-eq':
      return GENERIC.test(v) ? 0.3 : 0.01;
    case 'cidr':
      return 0.05;
    case 'startswith': {
      const low = v.toLowerCase();
      if (v.length <= 3 || COMMON_ROOTS.some((r) => r.startsWith(low))) return 0.3;
      return /[\\/]$/.test(v) ? 0.05 : 0.03;
    }
    case 'endswith':
      if (/^\.[^.\\/]{1,4}$/.test(v)) return 0.3; // an extension
      return v.length <= 3 ? 0.3 : 0.02;
    case 'contains':
      return v.length <= 3 ? 0.5 : v.length <= 6 ? 0.1 : 0.02;
    case 'regex':
    case 'glob':
      return 0.05;
    case 'exists':
      return 0.9;
    default:
      return 0.5;
  }
}

/** What a predicate costs to know for every event, beyond lookups: substring and pattern
 *  keys need a pass over the value (long free text most). */
function scanCost(p: Pred): number {
  if (p.op !== 'contains' && p.op !== 'regex' && p.op !== 'glob') return 0;
  return FREE_TEXT.has(p.field.toLowerCase()) ? 0.2 : 0.02;
}

/** Lower is better: the expected share of events that make the rule a candidate through this
 *  key (a literal many rules share is probably common in events too), plus its scan cost. */
function keyScore(p: Pred, uses: number): number {
  return selectivity(p) * (1 + uses / 16) + scanCost(p);
}

/** Required predicate ids for a rule, or null when it must always be evaluated. */
export function requiredPreds(ctx: CompileContext, dnf: { pos: number[]; neg: number[] }[] | null, prog: number[], uses?: Map<number, number>): number[] | null {
  const ok = (p: number) => isEager(ctx.predicates[p]);
  const score = (p: number) => keyScore(ctx.predicates[p], uses?.get(p) ?? 1);
  if (dnf) {
    const out = new Set<number>();
    for (const t of dnf) {
      let best = -1;
      for (const p of t.pos) if (ok(p) && (best < 0 || score(p) < score(best))) best = p;
      if (best < 0) return null;
      out.add(best);
    }
    return [...out].sort((a, b) => a - b);
  }
  const r = fromTree(ctx, fromProgram(prog), ok, score);
  return r ? [...r].sort((a, b) => a - b) : null;
}

/** A set of predicates at least one of which holds whenever `e` holds (null: none known).
 *  Under AND, the child set with the lowest total score (rarest literals) is kept. */
function fromTree(ctx: CompileContext, e: NExpr, ok: (p: number) => boolean, score: (p: number) => number): Set<number> | null {
  switch (e.t) {
    case 'const':
      return e.v ? null : new Set();
    case 'lit':
      return !e.neg && ok(e.p) ? new Set([e.p]) : null;
    case 'or': {
      const out = new Set<number>();
      for (const a of e.a) {
        const s = fromTree(ctx, a, ok, score);
        if (!s) return null;
        for (const p of s) out.add(p);
      }
      return out;
    }
    case 'and': {
      let best: Set<number> | null = null;
      let bestScore = Infinity;
      for (const a of e.a) {
        const s = fromTree(ctx, a, ok, score);
        if (!s) continue;
        let total = 0;
        for (const p of s) total += score(p);
        if (total < bestScore) {
          best = s;
          bestScore = total;
        }
      }
      return best;
    }
  }
}

export function buildIndex(ctx: CompileContext): void {
  const uses = new Map<number, number>();
  for (const r of ctx.rules) {
    if (!r.enabled || !r.dnf) continue;
    const seen = new Set<number>();
    for (const t of r.dnf) for (const p of t.pos) seen.add(p);
    for (const p of seen) uses.set(p, (uses.get(p) ?? 0) + 1);
  }
  const required = ctx.rules.map((r) => requiredPreds(ctx, r.dnf, r.prog, uses));
  for (const table of Object.values(ctx.tables)) {
    const idx = new Map<number, number[]>();
    for (const ri of table.rules) {
      const req = required[ri];
      if (!req) {
        table.always.push(ri);
        continue;
      }
      for (const p of req) {
        const a = idx.get(p);
        if (a) a.push(ri);
        else idx.set(p, [ri]);
      }
    }
    table.index = [...idx.entries()].sort((a, b) => a[0] - b[0]);
  }
}
