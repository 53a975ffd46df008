// The .luna.yaml front end: the same AST as .luna text, written as YAML. Structure is
// validated with ajv against schemas/policy.schema.json; schema errors get line:col from the
// YAML node ranges. Conditions, actions and exception values are parsed by the .luna
// expression parser, so both forms mean the same by construction.

import { basename } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import schema from '../../schemas/policy.schema.json' with { type: 'json' };
import type { Action, CompareOp, CorrelationDecl, ExceptionDecl, Expr, Policy, RuleDecl, Scalar, Span, TestCase, Value } from '../ast.ts';
import { diag, didYouMean, type Diagnostic } from '../diagnostics.ts';
import { MAX_FILE_BYTES } from '../limits.ts';
import { recordSpan } from '../locations.ts';
import { mapOp, scalarValue } from '../syntax/cst-to-ast.ts';
import { parseActions, parseCondition, type Base } from '../syntax/parse.ts';
import { decodeDuration } from '../syntax/strings.ts';

/** A YAML file is a Luna policy when it starts its top level with `luna: 1`. */
export function looksLikeLunaYaml(text: string): boolean {
  return /^luna\s*:\s*1\b/m.test(text.slice(0, 4096));
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile(schema);
  }
  return validator(data) ? [] : (validator.errors ?? []);
}

interface Located {
  doc: Document;
  lc: LineCounter;
  file: string;
  text: string;
}

function spanOfRange(loc: Located, start: number, end: number): Span {
  const a = loc.lc.linePos(start);
  const b = loc.lc.linePos(Math.max(start, end));
  return { file: loc.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: start, endOffset: end };
}

function nodeAt(loc: Located, path: (string | number)[]): Node | undefined {
  const n = loc.doc.getIn(path, true) as Node | undefined;
  return n && typeof n === 'object' && 'range' in n ? n : undefined;
}

/** The span of the value at `path`, or of the closest ancestor that exists. */
function spanAt(loc: Located, path: (string | number)[], keyOnly = false): Span {
  for (let i = path.length; i >= 0; i--) {
    const p = path.slice(0, i);
    const n = nodeAt(loc, p);
    if (n?.range) {
      if (keyOnly && i > 0 && isMap(nodeAt(loc, path.slice(0, i - 1)))) {
        const parent = nodeAt(loc, path.slice(0, i - 1));
        const pair = isMap(parent) ? parent.items.find((it) => isScalar(it.key) && it.key.value === path[i - 1]) : undefined;
        const kr = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (kr) return spanOfRange(loc, kr[0], kr[1]);
      }
      const end = n.range[1];
      // A multi-line block points at its first line only.
      const nl = loc.text.indexOf('\n', n.range[0]);
      return spanOfRange(loc, n.range[0], nl >= 0 && nl < end ? nl : end);
    }
  }
  return { file: loc.file, line: 1, col: 1, endLine: 1, endCol: 2, offset: 0, endOffset: 1 };
}

/** Where the text of a string scalar starts in the file, so fragments parse with real positions. */
function fragmentSource(loc: Located, path: (string | number)[]): { text: string; base?: Base } | undefined {
  const n = nodeAt(loc, path);
  if (!n || !isScalar(n) || typeof n.value !== 'string') return undefined;
  const [start, end] = n.range!;
  if (n.type === 'PLAIN' || n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED') {
    // Plain and block scalars are the source text itself (indentation is whitespace to the
    // lexer): parse from the start of the line with the prefix blanked, positions stay exact.
    let from = start;
    if (n.type !== 'PLAIN') from = loc.text.indexOf('\n', start) + 1 || end;
    const lineStart = loc.text.lastIndexOf('\n', from - 1) + 1;
    const text = ' '.repeat(from - lineStart) + loc.text.slice(from, end);
    const { line } = loc.lc.linePos(lineStart);
    return { text, base: { line, col: 1, offset: lineStart } };
  }
  // Quoted scalars: escapes make source and value differ; parse the value, anchored after the quote.
  const { line, col } = loc.lc.linePos(start + 1);
  return { text: n.value, base: { line, col, offset: start + 1 } };
}

function schemaMessage(e: ErrorObject): { message: string; keyOnly: boolean; path: (string | number)[]; suggestion?: string } {
  const path = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  const where = path.length ? path.join('.') : 'the document';
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const sub = schemaProps(path);
      const dym = didYouMean(key, sub);
      return { message: `unknown key '${key}' in ${where}`, keyOnly: true, path: [...path, key], suggestion: dym ? `did you mean ${dym}?` : sub.length ? `allowed keys: ${sub.join(', ')}` : undefined };
    }
    case 'required':
      return { message: `${where} needs '${String(params.missingProperty)}'`, keyOnly: false, path };
    case 'enum':
      return { message: `${where} must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`, keyOnly: false, path };
    case 'const':
      return { message: `${where} must be ${JSON.stringify(params.allowedValue)}`, keyOnly: false, path };
    case 'maxItems':
      return { message: `${where} has more than ${String(params.limit)} items`, keyOnly: false, path };
    default:
      return { message: `${where} ${e.message ?? 'is invalid'}`, keyOnly: false, path };
  }
}

/** Property names the schema allows at an instance path (for did-you-mean on unknown keys). */
function schemaProps(path: (string | number)[]): string[] {
  const defs = (schema as { definitions: Record<string, { properties?: Record<string, unknown> }> }).definitions;
  const top = Object.keys((schema as { properties: Record<string, unknown> }).properties);
  if (path.length === 0) return top;
  if (path[0] === 'rules' && path.length === 2) return Object.keys(defs.rule.properties ?? {});
  if (path[0] === 'correlations' && path.length === 2) return Object.keys(defs.correlation.properties ?? {});
  if (path[0] === 'tests' && path.length === 2) return Object.keys(defs.test.properties ?? {});
  if (path[0] === 'tests' && path[2] === 'expect') return ['match', 'no_match', 'none', 'actions'];
  if (path[0] === 'rules' && path[2] === 'except') return ['name', 'fields', 'ops', 'values'];
  return [];
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

export function parseLunaYaml(file: string, text: string): { policies: Policy[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (text.length > MAX_FILE_BYTES) {
    return { policies: [], diagnostics: [diag('LUN1004', 'error', `the policy is ${text.length} characters; at most ${MAX_FILE_BYTES} (10 MB) are allowed`, { file })] };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const loc: Located = { doc, lc, file, text };
  for (const e of doc.errors) {
    const [a, b] = e.pos;
    diagnostics.push(diag('LUN1030', 'error', `YAML: ${e.message.split('\n')[0]}`, { span: spanOfRange(loc, a, Math.max(b, a + 1)) }));
  }
  if (doc.errors.length) return { policies: [], diagnostics };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    diagnostics.push(diag('LUN1030', 'error', `YAML: ${err instanceof Error ? err.message : String(err)}`, { file }));
    return { policies: [], diagnostics };
  }
  const schemaErrors = validate(data);
  // oneOf failures repeat their branches' errors; keep the most specific per path.
  const seen = new Set<string>();
  // Errors inside one rule/correlation/test drop that item only, so the others are still
  // checked in the same run; errors anywhere else make the document unusable.
  const badItems = new Set<string>();
  let fatal = false;
  for (const e of schemaErrors) {
    const m = schemaMessage(e);
    const [top, index] = m.path;
    if ((top === 'rules' || top === 'correlations' || top === 'tests') && typeof index === 'number') badItems.add(`${top}.${index}`);
    else if (e.keyword !== 'oneOf') fatal = true;
    if (e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const key = m.path.join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(diag('LUN1031', 'error', m.message, { span: spanAt(loc, m.path, m.keyOnly), suggestion: m.suggestion }));
  }
  if (fatal || !data || typeof data !== 'object' || Array.isArray(data)) return { policies: [], diagnostics };
  const d = { ...(data as Record<string, unknown>) };
  for (const k of ['rules', 'correlations', 'tests'] as const) {
    if (Array.isArray(d[k])) d[k] = (d[k] as unknown[]).map((x, i) => (badItems.has(`${k}.${i}`) ? undefined : x));
  }

  const policy: Policy = {
    kind: 'Policy',
    name: String(d.policy ?? basename(file)),
    version: d.version !== undefined ? String(d.version) : '0.0.0',
    defaults: (d.defaults as Policy['defaults']) ?? {},
    lists: [],
    macros: [],
    rules: [],
    correlations: [],
    tests: [],
    origin: 'luna-yaml',
    span: spanAt(loc, []),
  };
  if (d.engine !== undefined) policy.engine = String(d.engine);
  recordSpan(policy, 'version', d.version !== undefined ? spanAt(loc, ['version']) : undefined);
  recordSpan(policy, 'engine', d.engine !== undefined ? spanAt(loc, ['engine']) : undefined);
  for (const t of Object.keys(policy.defaults)) recordSpan(policy, `default:${t}`, spanAt(loc, ['defaults', t], true));
  if (d.description !== undefined) policy.description = String(d.description);
  if (d.config !== undefined) policy.agentConfig = d.config as Record<string, unknown>;

  for (const [name, items] of Object.entries((d.lists as Record<string, Scalar[]>) ?? {})) {
    policy.lists.push({ name, items, span: spanAt(loc, ['lists', name], true) });
  }
  const condition = (path: (string | number)[], v: unknown): Expr => {
    if (typeof v === 'boolean') return { kind: 'const', value: v, span: spanAt(loc, path) };
    const src = fragmentSource(loc, path);
    const r = parseCondition(file, src?.text ?? String(v), src?.base);
    diagnostics.push(...r.diagnostics);
    return r.expr ?? { kind: 'const', value: false, span: spanAt(loc, path) };
  };
  const actions = (path: (string | number)[], v: unknown): Action[] => {
    if (v === undefined) return [{ kind: 'alert' }];
    const items: [(string | number)[], unknown][] = Array.isArray(v) ? v.map((x, i) => [[...path, i], x]) : [[path, v]];
    const out: Action[] = [];
    for (const [p, x] of items) {
      const src = fragmentSource(loc, p);
      const r = parseActions(file, src?.text ?? String(x), src?.base);
      diagnostics.push(...r.diagnostics);
      out.push(...(r.actions ?? []));
    }
    return out;
  };
  for (const [name, cond] of Object.entries((d.macros as Record<string, unknown>) ?? {})) {
    policy.macros.push({ name, condition: condition(['macros', name], cond), span: spanAt(loc, ['macros', name], true) });
  }
  ((d.rules as (Record<string, unknown> | undefined)[]) ?? []).forEach((r, i) => {
    if (!r) return;
    const path = ['rules', i];
    const rule: RuleDecl = {
      id: String(r.id),
      title: r.title !== undefined ? String(r.title) : String(r.id),
      tags: asList(r.tags),
      references: asList(r.references),
      on: asList(r.on),
      condition: condition([...path, 'when'], r.when),
      exceptions: ((r.except as Record<string, unknown>[]) ?? []).map((ex, j) => exception(ex, [...path, 'except', j])),
      actions: actions([...path, 'action'], r.action),
      enabled: r.enabled !== false,
      span: spanAt(loc, path),
    };
    for (const k of ['description', 'author', 'level', 'status', 'output'] as const) if (r[k] !== undefined) (rule as unknown as Record<string, unknown>)[k] = r[k];
    if (r.rule_name !== undefined) rule.ruleName = String(r.rule_name);
    if (r.meta !== undefined) rule.meta = r.meta as RuleDecl['meta'];
    recordSpan(rule, 'name', spanAt(loc, [...path, 'id']));
    if (Array.isArray(r.on)) r.on.forEach((_, j) => recordSpan(rule, `on:${j}`, spanAt(loc, [...path, 'on', j])));
    else recordSpan(rule, 'on:0', spanAt(loc, [...path, 'on']));
    if (r.output !== undefined) recordSpan(rule, 'output', spanAt(loc, [...path, 'output']));
    policy.rules.push(rule);
  });
  function exception(ex: Record<string, unknown>, path: (string | number)[]): ExceptionDecl {
    const fields = asList(ex.fields);
    const opsIn = ex.ops === undefined ? fields.map(() => '==') : asList(ex.ops);
    const ops: CompareOp[] = opsIn.map((o) => mapOp(o)[0]);
    const cell = (v: unknown): Value => {
      if (v && typeof v === 'object' && 'list' in v) return { kind: 'list', name: String((v as { list: unknown }).list) };
      if (v && typeof v === 'object' && 'field' in v) return { kind: 'field', name: String((v as { field: unknown }).field) };
      return scalarValue(v as Scalar);
    };
    const values: Value[][] = ((ex.values as unknown[]) ?? []).map((row) => (Array.isArray(row) ? row : [row]).map(cell));
    return { name: String(ex.name), fields, ops, values, span: spanAt(loc, path) };
  }
  ((d.correlations as (Record<string, unknown> | undefined)[]) ?? []).forEach((c, i) => {
    if (!c) return;
    const path = ['correlations', i];
    const cond = (c.condition as Record<string, number | string>) ?? { gte: 1 };
    const opKey = (['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const).find((k) => cond[k] !== undefined) ?? 'gte';
    const condition: CorrelationDecl['condition'] = { op: opKey, value: Number(cond[opKey] ?? 1) };
    if (cond.field !== undefined) condition.field = String(cond.field);
    if (cond.percentile !== undefined) condition.percentile = Number(cond.percentile);
    const corr: CorrelationDecl = {
      id: String(c.id),
      title: c.title !== undefined ? String(c.title) : String(c.id),
      tags: asList(c.tags),
      references: asList(c.references),
      type: c.type as CorrelationDecl['type'],
      rules: asList(c.rules),
      groupBy: asList(c.group_by),
      timespanMs: typeof c.timespan === 'number' ? c.timespan : decodeDuration(String(c.timespan)),
      condition,
      aliases: (c.aliases as CorrelationDecl['aliases']) ?? {},
      generate: c.generate === true,
      actions: actions([...path, 'action'], c.action),
      span: spanAt(loc, path),
    };
    for (const k of ['description', 'author', 'level'] as const) if (c[k] !== undefined) (corr as unknown as Record<string, unknown>)[k] = c[k];
    recordSpan(corr, 'name', spanAt(loc, [...path, 'id']));
    asList(c.rules).forEach((id, j) => recordSpan(corr, `ref:${id}`, spanAt(loc, [...path, 'rules', j])));
    policy.correlations.push(corr);
  });
  ((d.tests as (Record<string, unknown> | undefined)[]) ?? []).forEach((t, i) => {
    if (!t) return;
    const ex = (t.expect as Record<string, unknown>) ?? {};
    const tc: TestCase = {
      name: String(t.name),
      on: String(t.on),
      event: (t.event as Record<string, Scalar>) ?? {},
      expectMatch: asList(ex.match),
      expectNoMatch: [...asList(ex.no_match), ...(ex.none === true ? ['*'] : [])],
      span: spanAt(loc, ['tests', i]),
    };
    if (ex.actions !== undefined) tc.expectActions = asList(ex.actions) as TestCase['expectActions'];
    if (!tc.expectMatch.length && !tc.expectNoMatch.length && !tc.expectActions) {
      diagnostics.push(diag('LUN2023', 'error', `test "${tc.name}" expects nothing`, { span: tc.span, suggestion: 'add expect: { match: [RULE-ID] }, { no_match: [...] } or { none: true }' }));
    }
    const tp = ['tests', i];
    recordSpan(tc, 'on:0', spanAt(loc, [...tp, 'on']));
    for (const k of Object.keys(tc.event)) recordSpan(tc, `field:${k}`, spanAt(loc, [...tp, 'event', k], true));
    for (const key of ['match', 'no_match']) {
      const v = ex[key];
      if (Array.isArray(v)) v.forEach((id, j) => recordSpan(tc, `ref:${String(id)}`, spanAt(loc, [...tp, 'expect', key, j])));
      else if (v !== undefined) recordSpan(tc, `ref:${String(v)}`, spanAt(loc, [...tp, 'expect', key]));
    }
    policy.tests.push(tc);
  });
  return { policies: [policy], diagnostics };
}
