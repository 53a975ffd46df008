// Semantic checks over loaded policies (any front end): names resolve, fields exist on the
// rule's event types and suit the operator, values parse (regex, CIDR, numbers), macros do
// not loop, ids are unique, tests point at real rules, and rules that can never add a match
// are flagged. Used by `luna check`, `luna test` and the compiler; never throws.

import { isIP } from 'node:net';
import jsonata from 'jsonata';
import type { Action, CompareExpr, CompareOp, Expr, MacroDecl, Policy, RuleDecl, Scalar, Span, Value } from './ast.ts';
import { allEventTypes, eventType, type EventTypeInfo, type FieldType } from './catalogue.ts';
import { diag, didYouMean, type Diagnostic } from './diagnostics.ts';
import { MAX_LIST_ITEMS, MAX_REGEX_LENGTH } from './limits.ts';
import { isBroken, spanOf } from './locations.ts';

const STRING_OPS: ReadonlySet<CompareOp> = new Set(['contains', 'startswith', 'endswith', 'glob', 'regex']);
const ORDER_OPS: ReadonlySet<CompareOp> = new Set(['lt', 'lte', 'gt', 'gte']);

interface Ctx {
  policy: Policy;
  diags: Diagnostic[];
  lists: Map<string, Scalar[]>;
  macros: Map<string, MacroDecl>;
  usedLists: Set<string>;
  usedMacros: Set<string>;
  /** Dedupe: a macro used by several rules reports its problems once. */
  reported: Set<string>;
  /** Inside a declaration with syntax errors: warnings would only echo them. */
  quiet?: boolean;
}

interface Scope {
  types: EventTypeInfo[];
  /** Names the scope was given that are not event types (already reported). */
  where: string;
}

/** Problems an importer's user cannot fix in place: reported, but they do not fail the check. */
const SOFT_FOR_IMPORTS = new Set(['LUN2002', 'LUN2005', 'LUN2009', 'LUN2011']);

function push(ctx: Ctx, d: Diagnostic): void {
  if (ctx.quiet && d.severity === 'warning') return;
  if (ctx.policy.origin !== 'luna' && ctx.policy.origin !== 'luna-yaml' && SOFT_FOR_IMPORTS.has(d.code)) {
    // Imported rules (Sigma, Sysmon, MoonMon) may name fields other telemetry has: the rule
    // just never matches those events here. Say so without failing the whole import.
    if (d.severity === 'warning') return;
    d = { ...d, severity: 'warning', message: `${d.message} (imported ${ctx.policy.origin} rule: this part never matches)` };
  }
  const key = `${d.code}|${d.span?.file}:${d.span?.offset}|${d.message}`;
  if (ctx.reported.has(key)) return;
  ctx.reported.add(key);
  ctx.diags.push(d);
}
function at(span: Span | undefined, policy: Policy): Partial<Pick<Diagnostic, 'span' | 'file'>> {
  return span ? { span } : { file: policy.span?.file };
}

/** Known event types named in `on`; unknown ones are reported. */
function resolveTypes(ctx: Ctx, names: string[], span: Span | undefined, what: string, owner?: object): EventTypeInfo[] {
  const out: EventTypeInfo[] = [];
  for (const [i, n] of names.entries()) {
    if (owner) span = spanOf(owner, `on:${i}`, span);
    const t = eventType(n);
    if (t) out.push(t);
    else {
      const dym = didYouMean(n, allEventTypes().map((e) => e.name));
      push(ctx, diag('LUN2001', 'error', `unknown event type '${n}' in ${what}`, { ...at(span, ctx.policy), suggestion: dym ? `did you mean ${dym}?` : 'see docs/language.md for the event types' }));
    }
  }
  return out;
}

/**
 * The field's type in this scope: undefined when unknown (error reported) or untyped (open
 * type, undeclared field: anything goes).
 */
function resolveField(ctx: Ctx, scope: Scope, field: string, span: Span | undefined): { known: boolean; type?: FieldType } {
  if (scope.types.length === 0) return { known: true };
  const have = scope.types.filter((t) => Object.hasOwn(t.fields, field));
  const missing = scope.types.filter((t) => !Object.hasOwn(t.fields, field) && !t.open);
  if (have.length === 0 && missing.length === scope.types.length) {
    const candidates = new Set(scope.types.flatMap((t) => Object.keys(t.fields)));
    const dym = didYouMean(field, candidates);
    const elsewhere = allEventTypes().filter((t) => Object.hasOwn(t.fields, field)).map((t) => t.name);
    const names = scope.types.map((t) => t.name).join(', ');
    if (elsewhere.length && !dym) {
      push(ctx, diag('LUN2005', 'error', `field '${field}' is not available on ${names} (it is on ${elsewhere.slice(0, 4).join(', ')}${elsewhere.length > 4 ? ', …' : ''})`, {
        ...at(span, ctx.policy),
        suggestion: `add ${elsewhere[0]} to the rule's 'on' list, or use a field of ${names}`,
      }));
    } else {
      push(ctx, diag('LUN2002', 'error', `unknown field '${field}' for ${names}`, {
        ...at(span, ctx.policy),
        suggestion: dym ? `did you mean ${dym}?` : `fields of ${scope.types[0].name}: ${Object.keys(scope.types[0].fields).slice(0, 8).join(', ')}, …`,
      }));
    }
    return { known: false };
  }
  if (missing.length > 0 && have.length > 0) {
    push(ctx, diag('LUN2005', 'warning', `field '${field}' is not available on ${missing.map((t) => t.name).join(', ')}: this test is false for those events`, at(span, ctx.policy)));
  }
  return { known: true, type: have[0]?.fields[field] };
}

function opName(op: CompareOp): string {
  return op === 'glob' ? 'matches' : op === 'regex' ? '=~' : op === 'eq' ? '==' : op;
}

function isNumeric(s: string): boolean {
  return /^\s*-?(0x[0-9a-f]+|\d+(\.\d+)?([eE][+-]?\d+)?)\s*$/i.test(s);
}

export function validCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim());
  if (!m) return isIP(s.trim()) !== 0;
  const v = isIP(m[1]);
  const bits = Number(m[2]);
  return (v === 4 && bits <= 32) || (v === 6 && bits <= 128);
}

function checkRegex(ctx: Ctx, pattern: string, flags: string, span: Span | undefined): void {
  if (pattern.length > MAX_REGEX_LENGTH) {
    push(ctx, diag('LUN2010', 'error', `regex is ${pattern.length} characters; at most ${MAX_REGEX_LENGTH} are allowed`, at(span, ctx.policy)));
    return;
  }
  try {
    new RegExp(pattern, flags.replace(/[^ims]/g, ''));
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    push(ctx, diag('LUN2010', 'error', `invalid regex: ${msg}`, { ...at(span, ctx.policy), suggestion: 'Luna regexes are ECMAScript regexes; escape ( ) [ ] { } . * + ? | \\ ^ $ to match them literally' }));
  }
}

/** Value list after expanding list references (reporting unknown ones). */
function expandValues(ctx: Ctx, values: Value[], span: Span | undefined): { values: Value[]; fields: { name: string; span?: Span }[] } {
  const out: Value[] = [];
  const fields: { name: string; span?: Span }[] = [];
  for (const v of values) {
    if (v.kind === 'list') {
      ctx.usedLists.add(v.name);
      const items = ctx.lists.get(v.name);
      if (!items) {
        const dym = didYouMean(v.name, ctx.lists.keys());
        const hint = ctx.macros.has(v.name) ? `'${v.name}' is a macro; a value needs a list` : dym ? `did you mean ${dym}?` : `declare it: list ${v.name} = ["…"]`;
        push(ctx, diag('LUN2007', 'error', `unknown list '${v.name}'`, { ...at(v.span ?? span, ctx.policy), suggestion: hint }));
        continue;
      }
      for (const it of items) out.push(it === null ? { kind: 'null' } : typeof it === 'string' ? { kind: 'str', value: it } : typeof it === 'number' ? { kind: 'num', value: it } : { kind: 'bool', value: it });
    } else if (v.kind === 'field') fields.push({ name: v.name, span: v.span ?? span });
    else out.push(v);
  }
  return { values: out, fields };
}

/** A `*` or `?` preceded by an odd run of backslashes: escaped, so literal. */
function escapedWildcard(s: string): boolean {
  let run = 0;
  for (const ch of s) {
    if (ch === '\\') run++;
    else {
      if ((ch === '*' || ch === '?') && run % 2 === 1) return true;
      run = 0;
    }
  }
  return false;
}

function checkCompare(ctx: Ctx, scope: Scope, e: CompareExpr): void {
  const f = resolveField(ctx, scope, e.field, e.span);
  const { values, fields } = expandValues(ctx, e.values, e.span);
  for (const fr of fields) resolveField(ctx, scope, fr.name, fr.span);
  const t = f.type;
  const bad = (msg: string, suggestion?: string): void => push(ctx, diag('LUN2009', 'error', msg, { ...at(e.span, ctx.policy), suggestion }));
  if (e.timePart) {
    if (t && t !== 'time') bad(`${e.timePart}(${e.field}) needs a time field; ${e.field} is ${t}`);
    if (ORDER_OPS.has(e.op) || e.op === 'eq') {
      for (const v of values) if (v.kind !== 'num') bad(`${e.timePart}(${e.field}) compares with numbers`);
    } else bad(`${e.timePart}(${e.field}) supports ==, <, <=, >, >=, not ${opName(e.op)}`);
    return;
  }
  if (t === 'int' || t === 'bool') {
    if (STRING_OPS.has(e.op)) {
      bad(`'${opName(e.op)}' needs a text field; ${e.field} is ${t === 'int' ? 'a number' : 'a boolean'}`, t === 'int' ? 'compare numbers with ==, <, <=, >, >= or in' : `use ${e.field} == true`);
      return;
    }
  }
  if (e.op === 'cidr' && t && t !== 'ip') bad(`'cidr' needs an IP field; ${e.field} is ${t}`, 'cidr applies to fields such as DestinationIp, SourceIp');
  if (ORDER_OPS.has(e.op) && (t === 'bool' || t === 'ip')) bad(`'${opName(e.op)}' does not apply to ${t === 'bool' ? 'a boolean' : 'an IP'} field (${e.field})`, t === 'ip' ? 'use cidr for address ranges' : undefined);
  if (e.op === 'bitand' && t && t !== 'int' && t !== 'string') bad(`'bitand' needs a number (or hex string) field; ${e.field} is ${t}`);
  if (e.flags !== undefined && e.op !== 'regex') bad('regex flags only apply to =~');
  for (const v of values) {
    if (v.kind === 'null' && e.op !== 'eq') bad(`null only compares with == (missing or null field), not '${opName(e.op)}'`, `use not exists(${e.field})`);
    if (e.op === 'regex') {
      if (v.kind === 'str') checkRegex(ctx, v.value, e.flags ?? '', e.span);
      else if (v.kind !== 'null') bad('=~ needs a regex pattern');
    } else if (e.op === 'cidr') {
      if (v.kind !== 'str' || !validCidr(v.value)) push(ctx, diag('LUN2012', 'error', `invalid CIDR ${JSON.stringify(v.kind === 'str' ? v.value : v.kind === 'num' ? v.value : v.kind)}`, { ...at(e.span, ctx.policy), suggestion: 'write e.g. "10.0.0.0/8" or "fe80::/10"' }));
    } else if (e.op === 'bitand') {
      if (!(v.kind === 'num' && Number.isInteger(v.value)) && !(v.kind === 'str' && isNumeric(v.value))) bad('bitand needs an integer mask, e.g. 0x1010');
    } else if (t === 'int' && (e.op === 'eq' || ORDER_OPS.has(e.op))) {
      if (v.kind === 'str' && !isNumeric(v.value)) push(ctx, diag('LUN2011', 'error', `${e.field} is a number field; ${JSON.stringify(v.value)} is not a number`, at(e.span, ctx.policy)));
      if (v.kind === 'bool') push(ctx, diag('LUN2011', 'error', `${e.field} is a number field; ${v.value} is a boolean`, at(e.span, ctx.policy)));
    } else if (t === 'bool' && e.op === 'eq') {
      if (v.kind === 'num' || (v.kind === 'str' && !/^(true|false)$/i.test(v.value))) push(ctx, diag('LUN2011', 'error', `${e.field} is a boolean field; compare it with true or false`, at(e.span, ctx.policy)));
    }
  }
  if (e.op === 'glob' && (ctx.policy.origin === 'luna' || ctx.policy.origin === 'luna-yaml')) {
    for (const v of values) if (v.kind === 'str' && escapedWildcard(v.value)) {
      push(ctx, diag('LUN3011', 'warning', `in ${JSON.stringify(v.value)} a backslash before * or ? makes it a literal character (Sigma escaping)`, {
        ...at(e.span, ctx.policy),
        suggestion: 'for a path separator followed by a wildcard write two backslashes: \\*, or use startswith/endswith/contains',
      }));
      break;
    }
  }
  if (e.values.length === 0) push(ctx, diag('LUN3009', 'warning', `comparison of ${e.field} with an empty list is always ${e.quant === 'all' ? 'true' : 'false'}`, at(e.span, ctx.policy)));
}

function checkExpr(ctx: Ctx, scope: Scope, e: Expr, stack: string[]): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const a of e.args) checkExpr(ctx, scope, a, stack);
      return;
    case 'not':
      checkExpr(ctx, scope, e.arg, stack);
      return;
    case 'const':
      return;
    case 'exists':
      resolveField(ctx, scope, e.field, e.span);
      return;
    case 'keyword':
      if (e.op === 'regex') for (const v of e.values) if (v.kind === 'str') checkRegex(ctx, v.value, e.flags ?? '', e.span);
      expandValues(ctx, e.values, e.span);
      return;
    case 'cmp':
      checkCompare(ctx, scope, e);
      return;
    case 'macro': {
      ctx.usedMacros.add(e.name);
      const m = ctx.macros.get(e.name);
      if (!m) {
        const candidates = [...ctx.macros.keys()];
        const dym = didYouMean(e.name, candidates);
        const isField = scope.types.some((t) => Object.hasOwn(t.fields, e.name));
        const suggestion = isField
          ? `${e.name} is a field: compare it, e.g. ${e.name} == "…" or exists(${e.name})`
          : ctx.lists.has(e.name)
            ? `'${e.name}' is a list: use it as a value, e.g. Image in ${e.name}`
            : dym
              ? `did you mean ${dym}?`
              : undefined;
        push(ctx, diag('LUN2006', 'error', `unknown macro '${e.name}'`, { ...at(e.span, ctx.policy), suggestion }));
        return;
      }
      if (stack.includes(e.name)) {
        const members = stack.slice(stack.indexOf(e.name));
        const cycleKey = `cycle|${[...members].sort().join(',')}`;
        if (ctx.reported.has(cycleKey)) return;
        ctx.reported.add(cycleKey);
        const cycle = [...members, e.name].join(' → ');
        push(ctx, diag('LUN2008', 'error', `macro cycle: ${cycle}`, { ...at(m.span ?? e.span, ctx.policy), suggestion: 'a macro cannot use itself, directly or through other macros' }));
        return;
      }
      checkExpr(ctx, scope, m.condition, [...stack, e.name]);
      return;
    }
  }
}

/** Constant value of a condition when it does not depend on the event (macros expanded). */
export function constantValue(e: Expr, macros: Map<string, MacroDecl>, stack: string[] = []): boolean | undefined {
  switch (e.kind) {
    case 'const':
      return e.value;
    case 'not': {
      const v = constantValue(e.arg, macros, stack);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const vs = e.args.map((a) => constantValue(a, macros, stack));
      if (vs.includes(false)) return false;
      return vs.every((v) => v === true) ? true : undefined;
    }
    case 'or': {
      const vs = e.args.map((a) => constantValue(a, macros, stack));
      if (vs.includes(true)) return true;
      return vs.every((v) => v === false) ? false : undefined;
    }
    case 'macro': {
      const m = macros.get(e.name);
      if (!m || stack.includes(e.name)) return undefined;
      return constantValue(m.condition, macros, [...stack, e.name]);
    }
    case 'cmp':
    case 'keyword':
      // An empty value list: `any` of nothing is false, `all` of nothing is true.
      return e.values.length === 0 ? e.quant === 'all' : undefined;
    default:
      return undefined;
  }
}

/** Structure without spans, for "same rule twice" detection. */
export function stripSpans(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripSpans);
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) if (k !== 'span') o[k] = stripSpans((x as Record<string, unknown>)[k]);
    return o;
  }
  return x;
}

function checkActions(ctx: Ctx, scope: Scope, actions: Action[], span: Span | undefined, owner: string): void {
  const kinds = new Set(actions.map((a) => a.kind));
  if (kinds.has('drop') && (kinds.has('alert') || kinds.has('log'))) {
    push(ctx, diag('LUN3010', 'warning', `${owner} both drops and ${kinds.has('alert') ? 'alerts' : 'logs'}: drop wins, the event is not kept`, at(span, ctx.policy)));
  }
  for (const a of actions) {
    if (a.kind === 'scan' && a.target !== undefined) {
      const f = resolveField(ctx, scope, a.target, span);
      if (f.known && f.type && f.type !== 'ip' && f.type !== 'string') {
        push(ctx, diag('LUN2009', 'error', `scan target ${a.target} must be an IP or host field, not ${f.type}`, at(span, ctx.policy)));
      }
    }
  }
}

function checkOutput(ctx: Ctx, rule: RuleDecl): void {
  if (rule.output === undefined) return;
  try {
    jsonata(rule.output);
  } catch (err) {
    const e = err as { message?: string; position?: number };
    const pos = typeof e.position === 'number' ? ` at character ${e.position} of the template` : '';
    // Raw/single-quoted templates map 1:1 onto the source: point at the character itself.
    const text = spanOf(rule, 'output:text');
    const exact = text && typeof e.position === 'number' && !rule.output.slice(0, e.position).includes('\n')
      ? { ...text, col: text.col + Math.max(0, e.position - 1), offset: text.offset + Math.max(0, e.position - 1), endCol: text.col + e.position, endOffset: text.offset + e.position }
      : undefined;
    push(ctx, diag('LUN2016', 'error', `invalid output template in rule ${rule.id}: ${e.message ?? String(err)}${pos}`, {
      ...at(exact ?? spanOf(rule, 'output', rule.span), ctx.policy),
      suggestion: `output is a JSONata expression: join text with &, e.g. '"Shell " & Image & " by " & User'`,
    }));
  }
}

function checkPolicy(policy: Policy, diags: Diagnostic[], ruleIds: Map<string, RuleDecl>, seenRules: Map<string, RuleDecl>): void {
  const ctx: Ctx = { policy, diags, lists: new Map(), macros: new Map(), usedLists: new Set(), usedMacros: new Set(), reported: new Set() };
  const pspan = policy.span;
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(policy.version)) {
    push(ctx, diag('LUN2018', 'warning', `policy version '${policy.version}' is not a SemVer version`, { ...at(spanOf(policy, 'version', pspan), policy), suggestion: 'write e.g. version "1.2.0"' }));
  }
  if (policy.engine !== undefined && !/^\s*(?:[<>=^~]*\s*v?\d+(?:\.\d+){0,2}(?:-[\w.]+)?\s*)+$/.test(policy.engine)) {
    push(ctx, diag('LUN2018', 'warning', `engine range '${policy.engine}' is not a SemVer range`, { ...at(spanOf(policy, 'engine', pspan), policy), suggestion: 'write e.g. engine ">=0.1"' }));
  }
  for (const [t, v] of Object.entries(policy.defaults)) {
    resolveTypes(ctx, [t], spanOf(policy, `default:${t}`, pspan), 'a default');
    if (v !== 'log' && v !== 'drop') push(ctx, diag('LUN2024', 'error', `a default is 'log' or 'drop', not '${String(v)}'`, at(pspan, policy)));
  }
  for (const l of policy.lists) {
    if (ctx.lists.has(l.name) || ctx.macros.has(l.name)) push(ctx, diag('LUN2003', 'error', `duplicate list '${l.name}'`, { ...at(spanOf(l, 'name', l.span), policy), suggestion: 'rename one of them' }));
    if (l.items.length > MAX_LIST_ITEMS) push(ctx, diag('LUN1006', 'error', `list '${l.name}' has ${l.items.length} items; at most ${MAX_LIST_ITEMS} are allowed`, at(l.span, policy)));
    ctx.lists.set(l.name, l.items);
  }
  for (const m of policy.macros) {
    if (ctx.macros.has(m.name)) push(ctx, diag('LUN2004', 'error', `duplicate macro '${m.name}'`, { ...at(spanOf(m, 'name', m.span), policy), suggestion: 'rename one of them' }));
    else if (ctx.lists.has(m.name)) push(ctx, diag('LUN2004', 'error', `'${m.name}' is declared both as a list and as a macro`, at(m.span, policy)));
    ctx.macros.set(m.name, m);
  }
  // Macros on their own: cycles and unknown names (fields are checked per using rule).
  for (const m of policy.macros) checkExpr(ctx, { types: [], where: `macro ${m.name}` }, { kind: 'macro', name: m.name, span: m.span }, []);
  ctx.usedMacros.clear();
  ctx.usedLists.clear();

  for (const r of policy.rules) {
    const prev = ruleIds.get(r.id);
    if (prev) {
      const where = !prev.span ? '' : prev.span.file === r.span?.file ? ` (first at line ${prev.span.line})` : ` (first in ${prev.span.file}:${prev.span.line})`;
      push(ctx, diag('LUN3001', 'error', `duplicate rule id '${r.id}'${where}`, { ...at(spanOf(r, 'name', r.span), policy), suggestion: 'rule ids must be unique across all loaded policies' }));
    } else ruleIds.set(r.id, r);
    ctx.quiet = isBroken(r);
    if (r.on.length === 0) push(ctx, diag('LUN2001', 'error', `rule ${r.id} has no event type ('on')`, at(r.span, policy)));
    const types = resolveTypes(ctx, r.on, r.span, `rule ${r.id}`, r);
    const scope: Scope = { types, where: `rule ${r.id}` };
    // Unknown types were reported; check fields only against the known ones.
    if (types.length === r.on.length || types.length > 0) checkExpr(ctx, scope, r.condition, []);
    for (const ex of r.exceptions) {
      if (ex.fields.length !== ex.ops.length) push(ctx, diag('LUN2013', 'error', `exception '${ex.name}' has ${ex.fields.length} fields but ${ex.ops.length} operators`, at(ex.span ?? r.span, policy)));
      ex.fields.forEach((f, i) => {
        const fieldInfo = resolveField(ctx, scope, f, ex.span ?? r.span);
        const op = ex.ops[i] ?? 'eq';
        if (fieldInfo.type && (fieldInfo.type === 'int' || fieldInfo.type === 'bool') && STRING_OPS.has(op)) {
          push(ctx, diag('LUN2009', 'error', `'${opName(op)}' needs a text field; ${f} is ${fieldInfo.type === 'int' ? 'a number' : 'a boolean'}`, at(ex.span ?? r.span, policy)));
        }
      });
      ex.values.forEach((row, i) => {
        if (row.length !== ex.fields.length) {
          push(ctx, diag('LUN2013', 'error', `row ${i + 1} of exception '${ex.name}' has ${row.length} value${row.length === 1 ? '' : 's'}; the exception has ${ex.fields.length} field${ex.fields.length === 1 ? '' : 's'} (${ex.fields.join(', ')})`, at(ex.span ?? r.span, policy)));
        }
        row.forEach((v, j) => {
          if (v.kind === 'list') expandValues(ctx, [v], ex.span ?? r.span);
          if (v.kind === 'str' && ex.ops[j] === 'regex') checkRegex(ctx, v.value, '', ex.span ?? r.span);
          if (v.kind === 'str' && ex.ops[j] === 'cidr' && !validCidr(v.value)) push(ctx, diag('LUN2012', 'error', `invalid CIDR ${JSON.stringify(v.value)}`, at(ex.span ?? r.span, policy)));
        });
      });
      if (ex.values.length === 0) push(ctx, diag('LUN3009', 'warning', `exception '${ex.name}' has no rows and never applies`, at(ex.span ?? r.span, policy)));
    }
    checkActions(ctx, scope, r.actions, r.span, `rule ${r.id}`);
    checkOutput(ctx, r);
    if (!r.enabled) continue;
    if (constantValue(r.condition, ctx.macros) === false) {
      push(ctx, diag('LUN3002', 'warning', `rule ${r.id} can never match: its condition is always false`, at(spanOf(r, 'name', r.span), policy)));
    }
    const key = JSON.stringify(stripSpans({ on: [...r.on].sort(), c: r.condition, x: r.exceptions, a: r.actions, p: policy.name }));
    const twin = seenRules.get(key);
    if (twin) {
      push(ctx, diag('LUN3003', 'warning', `rule ${r.id} repeats rule ${twin.id} (same event types, condition, exceptions and actions): it never adds a match`, { ...at(spanOf(r, 'name', r.span), policy), suggestion: `remove it, or merge its metadata into ${twin.id}` }));
    } else seenRules.set(key, r);
  }

  ctx.quiet = false;
  for (const l of policy.lists) if (!ctx.usedLists.has(l.name)) push(ctx, diag('LUN3007', 'warning', `list '${l.name}' is never used`, at(spanOf(l, 'name', l.span), policy)));
  for (const m of policy.macros) if (!ctx.usedMacros.has(m.name)) push(ctx, diag('LUN3007', 'warning', `macro '${m.name}' is never used`, at(spanOf(m, 'name', m.span), policy)));
}

function checkCorrelationsAndTests(policy: Policy, diags: Diagnostic[], ruleIds: Map<string, RuleDecl>, corrIds: Set<string>): void {
  const ctx: Ctx = { policy, diags, lists: new Map(), macros: new Map(), usedLists: new Set(), usedMacros: new Set(), reported: new Set() };
  // Correlations may name rules by id or by name (Sigma's `name:`, kept in meta.name).
  const ruleNames = new Set([...ruleIds.values()].map((r) => r.meta?.name).filter((n): n is string => typeof n === 'string'));
  for (const c of policy.correlations) {
    for (const id of c.rules) {
      if (!ruleIds.has(id) && !corrIds.has(id) && !ruleNames.has(id)) {
        const dym = didYouMean(id, [...ruleIds.keys(), ...corrIds]);
        push(ctx, diag('LUN3005', 'error', `correlation ${c.id} refers to unknown rule '${id}'`, { ...at(spanOf(c, `ref:${id}`, c.span), policy), suggestion: dym ? `did you mean ${dym}?` : undefined }));
      }
    }
    if (c.rules.length === 0) push(ctx, diag('LUN3005', 'error', `correlation ${c.id} names no rules`, at(c.span, policy)));
    if (!(c.timespanMs > 0)) push(ctx, diag('LUN2022', 'error', `correlation ${c.id} needs a positive timespan`, at(c.span, policy)));
    if (c.type.startsWith('value_') && !c.condition.field) {
      push(ctx, diag('LUN2022', 'error', `a ${c.type} correlation needs a field in its condition, e.g. condition field TargetUserName > 3`, at(c.span, policy)));
    }
    if (c.type === 'value_percentile' && c.condition.percentile === undefined) {
      push(ctx, diag('LUN2022', 'error', `a value_percentile correlation needs a percentile, e.g. condition field Duration percentile 95 > 1000`, at(c.span, policy)));
    }
    if ((c.type === 'temporal' || c.type === 'temporal_ordered') && c.rules.length < 2) {
      push(ctx, diag('LUN2022', 'warning', `a ${c.type} correlation over one rule is an event_count`, at(c.span, policy)));
    }
    checkActions(ctx, { types: [], where: c.id }, c.actions, c.span, `correlation ${c.id}`);
  }
  for (const t of policy.tests) {
    ctx.quiet = isBroken(t);
    const types = resolveTypes(ctx, [t.on], t.span, `test "${t.name}"`, t);
    const ty = types[0];
    if (ty && !ty.open) {
      for (const f of Object.keys(t.event)) {
        if (!Object.hasOwn(ty.fields, f)) {
          const dym = didYouMean(f, Object.keys(ty.fields));
          push(ctx, diag('LUN2017', 'warning', `test "${t.name}": ${ty.name} has no field '${f}'`, { ...at(spanOf(t, `field:${f}`, t.span), policy), suggestion: dym ? `did you mean ${dym}?` : undefined }));
        }
      }
    }
    for (const id of [...t.expectMatch, ...t.expectNoMatch]) {
      if (id === '*') continue;
      const r = ruleIds.get(id);
      if (!r && !corrIds.has(id)) {
        const dym = didYouMean(id, [...ruleIds.keys(), ...corrIds]);
        push(ctx, diag('LUN3004', 'error', `test "${t.name}" refers to unknown rule '${id}'`, { ...at(spanOf(t, `ref:${id}`, t.span), policy), suggestion: dym ? `did you mean ${dym}?` : undefined }));
      } else if (r && ty && !r.on.includes(ty.name) && t.expectMatch.includes(id)) {
        push(ctx, diag('LUN3008', 'warning', `test "${t.name}" expects rule ${id} to match a ${ty.name} event, but the rule is on ${r.on.join(', ')}`, at(spanOf(t, `ref:${id}`, t.span), policy)));
      }
    }
    if (t.expectNoMatch.includes('*') && t.expectMatch.length) {
      push(ctx, diag('LUN3004', 'error', `test "${t.name}" expects both no match at all and a match of ${t.expectMatch.join(', ')}`, at(t.span, policy)));
    }
  }
}

export function checkPolicies(policies: Policy[]): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const ruleIds = new Map<string, RuleDecl>();
  const seenRules = new Map<string, RuleDecl>();
  try {
    for (const p of policies) checkPolicy(p, diags, ruleIds, seenRules);
    const corrIds = new Set(policies.flatMap((p) => p.correlations.map((c) => c.id)));
    for (const p of policies) checkCorrelationsAndTests(p, diags, ruleIds, corrIds);
  } catch (err) {
    diags.push(diag('LUN3099', 'error', `internal error while checking: ${err instanceof Error ? err.message : String(err)}`));
  }
  return diags;
}
