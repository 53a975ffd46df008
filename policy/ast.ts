// The AST of a Luna policy: the one contract between the front ends (.luna text, .luna.yaml,
// Sigma, Sysmon XML, MoonMon YAML), the reference interpreter, and the compiler.
// Plain JSON-serialisable data only (no classes), so that it can be hashed, diffed and
// compared structurally (the formatter round-trip property depends on that).

/** A source position range. Lines and columns are 1-based; offsets are 0-based UTF-16 indices. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

export type RuleStatus = 'stable' | 'test' | 'experimental' | 'deprecated' | 'unsupported';

export interface Policy {
  kind: 'Policy';
  name: string;
  /** SemVer of the policy itself. */
  version: string;
  /** SemVer range of the Luna engine this policy needs, e.g. ">=0.1". */
  engine?: string;
  description?: string;
  /**
   * What happens to an event of a given type that no rule decides (no log/alert/drop action
   * matched). Missing type: 'drop' (keep nothing unless a rule asks). Sysmon's "one include
   * list → default exclude" and "log everything" policies are written here.
   */
  defaults: Record<string, Verdict>;
  lists: ListDecl[];
  macros: MacroDecl[];
  rules: RuleDecl[];
  correlations: CorrelationDecl[];
  tests: TestCase[];
  /** Free-form agent configuration carried by importers (Sysmon options, MoonMon global_settings). */
  agentConfig?: Record<string, unknown>;
  /** Where this policy came from: 'luna' | 'luna-yaml' | 'sigma' | 'sysmon' | 'moonmon'. */
  origin: PolicyOrigin;
  span?: Span;
}

export type PolicyOrigin = 'luna' | 'luna-yaml' | 'sigma' | 'sysmon' | 'moonmon';
export type Verdict = 'log' | 'drop';

/** A literal value that may appear in lists, rule values and test events. */
export type Scalar = string | number | boolean | null;

export interface ListDecl {
  name: string;
  items: Scalar[];
  span?: Span;
}

export interface MacroDecl {
  name: string;
  condition: Expr;
  span?: Span;
}

export interface RuleDecl {
  id: string;
  title: string;
  description?: string;
  author?: string;
  level?: Level;
  tags: string[];
  references: string[];
  status?: RuleStatus;
  /** Sysmon-style rule name reported with a verdict (`rule_name` in `luna eval`). */
  ruleName?: string;
  /** Event types the rule applies to, e.g. ['ProcessCreate']. Never empty. */
  on: string[];
  condition: Expr;
  /** Falco-style exceptions: the rule does not match when any exception matches. */
  exceptions: ExceptionDecl[];
  actions: Action[];
  /** Alert message template: a JSONata expression evaluated over the event. */
  output?: string;
  enabled: boolean;
  /** Extra metadata kept from imports (Sigma `falsepositives`, `date`, MoonMon entry id…). */
  meta?: Record<string, string | string[]>;
  span?: Span;
}

/**
 * Falco-style exception: `fields` and `ops` are parallel; each `values` row is a tuple that,
 * when every (field op value) holds, suppresses the rule.
 */
export interface ExceptionDecl {
  name: string;
  fields: string[];
  ops: CompareOp[];
  values: Value[][];
  span?: Span;
}

export type Action =
  | { kind: 'log' }
  /** Sysmon exclude / MoonMon exclude: do not keep this event. Drop beats log. */
  | { kind: 'drop' }
  | { kind: 'alert'; severity?: Level }
  | { kind: 'block'; mode?: BlockMode }
  | { kind: 'kill' }
  | { kind: 'tag'; tags: string[] }
  /** Trigger a scan policy by name, optionally on the event's host/IP field. */
  | { kind: 'scan'; policy: string; target?: string };

export type ActionKind = Action['kind'];
export type BlockMode = 'accessdenied' | 'notfound' | 'pending';

/**
 * Comparison operators. All string comparisons are case-insensitive unless `cased` is set.
 * - eq: equality (numbers compare numerically when both sides are numeric)
 * - glob: Sigma wildcards in the value: `*` any run, `?` one char, `\` escapes `*`, `?` and `\`
 * - contains / startswith / endswith: substring tests
 * - regex: ECMAScript-compatible pattern, unanchored search; flags in `CompareExpr.flags`
 * - cidr: the field is an IP inside the CIDR value (IPv4 or IPv6)
 * - lt / lte / gt / gte: numeric when both sides are numbers, else lexicographic (Sysmon)
 * - bitand: integer field with every bit of the value set ((field & value) === value)
 */
export type CompareOp =
  | 'eq'
  | 'glob'
  | 'contains'
  | 'startswith'
  | 'endswith'
  | 'regex'
  | 'cidr'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'bitand';

export const COMPARE_OPS: readonly CompareOp[] = [
  'eq', 'glob', 'contains', 'startswith', 'endswith', 'regex', 'cidr', 'lt', 'lte', 'gt', 'gte', 'bitand',
];

/** Parts of a timestamp field that Sigma's time modifiers compare (`|hour`, `|day`, …). */
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

export type Value =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'bool'; value: boolean }
  /** Matches a missing field or an explicit null (Sigma `field: null`). Only with op 'eq'. */
  | { kind: 'null' }
  /** Reference to a `list` by name; expands to its items. */
  | { kind: 'list'; name: string; span?: Span }
  /** Another field of the same event (field-to-field compare, Sigma `fieldref`). */
  | { kind: 'field'; name: string; span?: Span };

export type Expr =
  | AndExpr
  | OrExpr
  | NotExpr
  | CompareExpr
  | ExistsExpr
  | KeywordExpr
  | MacroRefExpr
  | ConstExpr;

export interface AndExpr {
  kind: 'and';
  args: Expr[];
  span?: Span;
}
export interface OrExpr {
  kind: 'or';
  args: Expr[];
  span?: Span;
}
export interface NotExpr {
  kind: 'not';
  arg: Expr;
  span?: Span;
}

/**
 * `field op value…`: with several values (or a list), `quant` says whether any or all of them
 * must hold. A missing field makes every comparison false (so `not cmp` is true).
 */
export interface CompareExpr {
  kind: 'cmp';
  field: string;
  op: CompareOp;
  values: Value[];
  quant: 'any' | 'all';
  /** Case-sensitive comparison (Sigma `cased`). Default false. */
  cased: boolean;
  /** Regex flags, subset of 'ims' (only with op 'regex'). */
  flags?: string;
  /** Compare a part of a timestamp field instead of the field itself. */
  timePart?: TimePart;
  span?: Span;
}

/** `exists(field)`: the field is present and not null. */
export interface ExistsExpr {
  kind: 'exists';
  field: string;
  span?: Span;
}

/** Sigma keywords: some (any) or every (all) value occurs in any field of the event. */
export interface KeywordExpr {
  kind: 'keyword';
  op: 'contains' | 'glob' | 'regex';
  values: Value[];
  quant: 'any' | 'all';
  cased: boolean;
  flags?: string;
  span?: Span;
}

export interface MacroRefExpr {
  kind: 'macro';
  name: string;
  span?: Span;
}

export interface ConstExpr {
  kind: 'const';
  value: boolean;
  span?: Span;
}

/** Sigma-style correlation over the matches of other rules. */
export interface CorrelationDecl {
  id: string;
  title: string;
  description?: string;
  author?: string;
  level?: Level;
  tags: string[];
  references: string[];
  type:
    | 'event_count'
    | 'value_count'
    | 'temporal'
    | 'temporal_ordered'
    | 'value_sum'
    | 'value_avg'
    | 'value_percentile';
  /** Ids (or names) of the rules or correlations whose matches feed this one, in order. */
  rules: string[];
  groupBy: string[];
  /** Window length in milliseconds. */
  timespanMs: number;
  /** Threshold test; `field` names the value for value_* types. */
  condition: { op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq'; value: number; field?: string; percentile?: number };
  /** Field aliases: alias name → (rule id → field name in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  /** Whether the referenced rules also produce their own detections. */
  generate: boolean;
  actions: Action[];
  span?: Span;
}

/** An inline test: one event and what the policy must do with it. */
export interface TestCase {
  name: string;
  /** Event type of `event` (e.g. 'ProcessCreate'). */
  on: string;
  event: Record<string, Scalar>;
  /** Rule ids that must match. */
  expectMatch: string[];
  /** Rule ids that must not match; ['*'] means no rule at all may match. */
  expectNoMatch: string[];
  /** When given, the union of actions of the matched rules must equal this set. */
  expectActions?: ActionKind[];
  span?: Span;
}

/** The event shape every executor sees: type plus flat field map (nested keys dotted). */
export interface LunaEvent {
  type: string;
  fields: Record<string, Scalar>;
}
