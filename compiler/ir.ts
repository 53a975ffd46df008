// The compiler's intermediate forms and the compiled-policy shape written into bundles.
// Everything here is plain JSON data so that bundles are deterministic and diffable.

import type { Action, Level, Verdict, CorrelationDecl } from '../policy/ast.ts';
import type { KernelTables } from '../schemas/kernel-tables.ts';

/**
 * Internal predicate operators (after normalization). Each has ONE meaning, shared by the
 * table matcher and documented in docs/bundle-format.md:
 * - str-eq: string equality (lowercased both sides unless cased)
 * - num-eq: the field is numeric (number or decimal string) and numerically equal
 * - contains / startswith / endswith: substring tests (lowercased unless cased)
 * - glob: Sigma wildcard pattern, anchored both ends
 * - regex: unanchored search with `flags`
 * - cidr: the field is an IP inside the prefix
 * - lt / lte / gt / gte: numeric when both sides numeric, else lexicographic
 * - bitand: (field & value) === value on integers (decimal or 0x hex)
 * - exists: the field is present and not null
 * - null: the field is missing or null
 * - fieldref: compare with another field of the event (`sub` = eq|contains|startswith|endswith|…)
 * - timepart: compare a part (`part`) of a timestamp field with `sub`
 * - keyword: some field of the event satisfies `sub` (contains|glob|regex) with value
 */
export type PredOp =
  | 'str-eq' | 'num-eq' | 'contains' | 'startswith' | 'endswith' | 'glob' | 'regex' | 'cidr'
  | 'lt' | 'lte' | 'gt' | 'gte' | 'bitand' | 'exists' | 'null' | 'fieldref' | 'timepart' | 'keyword';

export interface Pred {
  field: string;
  op: PredOp;
  value: string | number;
  cased?: boolean;
  flags?: string;
  /** The compared operator for fieldref / timepart / keyword. */
  sub?: string;
  part?: string;
  /** keyword only: `value` names a field whose value is the keyword (compared literally). */
  ref?: boolean;
}

/** Normalized expression over hash-consed predicate ids (negation normal form). */
export type NExpr =
  | { t: 'and'; a: NExpr[] }
  | { t: 'or'; a: NExpr[] }
  | { t: 'lit'; p: number; neg: boolean }
  | { t: 'const'; v: boolean };

/** One DNF term: all of `pos` fire and none of `neg`. */
export interface Term {
  pos: number[];
  neg: number[];
}

/** Where a rule can run (DESIGN §5 kernel partition) and why. */
export interface Placement {
  where: 'kernel' | 'user';
  reason: string;
}

/** Per-field structures of one event type's table (all keys sorted for determinism). */
export interface FieldTable {
  /** lowercased (or exact when cased) string → predicate ids (str-eq) */
  exact: [string, number[]][];
  exactCased: [string, number[]][];
  /** number → predicate ids (num-eq) */
  numEq: [number, number[]][];
  /** Aho-Corasick patterns over case-folded text: pattern → [pid, kind] (0 contains, 1 startswith, 2 endswith, 3 regex prefilter) */
  patterns: [string, [number, number][]][];
  /** Regexes: [pid, required literal (lowercased) or null when no prefilter literal] */
  regex: [number, string | null][];
  /** Numeric ranges sorted by value: [value, pid] per operator */
  ranges: { lt: [number, number][]; lte: [number, number][]; gt: [number, number][]; gte: [number, number][] };
  /** CIDR predicates: [canonical cidr, pid] */
  cidr: [string, number][];
  /** Predicates tested directly on the field value (glob, cased substrings, lexicographic, bitand, exists) */
  direct: number[];
}

export interface EventTable {
  /** Rule indices (policy order) that apply to this event type. */
  rules: number[];
  /** Rules that must be evaluated on every event of the type (no indexable required predicate). */
  always: number[];
  /** Predicate id → rules that list it as a required predicate (only for this type's rules). */
  index: [number, number[]][];
  /** Fields in sorted order. */
  fields: [string, FieldTable][];
  /** Predicates evaluated lazily, on demand, by rule programs (null, fieldref, timepart, keyword). */
  lazy: number[];
}

export interface CompiledRule {
  id: string;
  title: string;
  level?: Level;
  author?: string;
  ruleName?: string;
  /** The rule's tags (absent when it has none). */
  tags?: string[];
  actions: Action[];
  on: string[];
  enabled: boolean;
  policy: number;
  /** DNF terms over predicate ids, when within the size guard. */
  dnf: Term[] | null;
  /** Postfix program over predicate ids: see compiler/program.ts. Always present. */
  prog: number[];
  /** Sub-expressions the tables cannot index, evaluated directly (fieldref, keyword, timepart, null). */
  fallback: boolean;
  placement: Placement;
}

export interface CompiledPolicy {
  format: 'luna-tables';
  version: 1;
  compilerVersion: string;
  predicates: Pred[];
  rules: CompiledRule[];
  tables: Record<string, EventTable>;
  policies: { name: string; version: string; origin: string; defaults: Record<string, Verdict> }[];
  correlations: CorrelationDecl[];
  /** The kernel partition for the BPF driver (schemas/kernel-tables.ts). */
  kernel: KernelTables;
}
