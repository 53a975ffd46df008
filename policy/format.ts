// Canonical pretty-printer: AST → .luna text. parse(format(p)) gives p back (spans aside),
// and format is idempotent; the property tests in test/policy/format.test.ts hold it to that.
// Comments passed in are kept: each one is printed before the top-level item it was in or
// preceded (comments inside a rule move above the rule — never lost).

import type { Action, CompareExpr, CorrelationDecl, ExceptionDecl, Expr, KeywordExpr, Policy, RuleDecl, Scalar, TestCase, Value } from './ast.ts';
import { hasImplicitHeader } from './locations.ts';
import { RESERVED_WORDS } from './syntax/lexer.ts';
import { encodeDuration, encodeRegexBody } from './syntax/strings.ts';

export interface SourceComment {
  offset: number;
  text: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(?:[.\-][A-Za-z0-9_]+)*$/;
const WIDTH = 120;

/** A string literal: single-quoted raw form for backslash-heavy text, else double-quoted. */
export function fmtString(s: string): string {
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f\u2028\u2029]/.test(s);
  if (!control && (s.includes('\\') || s.includes('"'))) return `'${s.replaceAll("'", "''")}'`;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** A name: bare when it lexes as one, else `back-quoted`. */
export function fmtName(n: string): string {
  return IDENT.test(n) && !RESERVED_WORDS.has(n) && !n.startsWith('r"') ? n : `\`${n}\``;
}
/** A rule id, tag or key: bare when it lexes as a name, else a string. */
function fmtId(n: string): string {
  return IDENT.test(n) && !RESERVED_WORDS.has(n) ? n : fmtString(n);
}
function fmtNumber(n: number): string {
  return String(n);
}
function fmtScalar(v: Scalar): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return fmtString(v);
  if (typeof v === 'number') return fmtNumber(v);
  return String(v);
}

function fmtValue(v: Value, regexFlags?: string): string {
  switch (v.kind) {
    case 'str':
      return regexFlags !== undefined ? `/${encodeRegexBody(v.value)}/${regexFlags}` : fmtString(v.value);
    case 'num':
      return fmtNumber(v.value);
    case 'bool':
      return String(v.value);
    case 'null':
      return 'null';
    case 'list':
      return fmtName(v.name);
    case 'field':
      return `field(${fmtName(v.name)})`;
  }
}

const OP_TEXT: Record<string, string> = {
  eq: '==', glob: 'matches', contains: 'contains', startswith: 'startswith', endswith: 'endswith', regex: '=~', cidr: 'cidr',
  lt: '<', lte: '<=', gt: '>', gte: '>=', bitand: 'bitand',
};

function fmtValues(values: Value[], quant: 'any' | 'all', flags: string | undefined): string {
  if (values.length === 1 && quant === 'any') {
    // `endswith any shells` says what a bare list name would leave implicit.
    return values[0].kind === 'list' ? `any ${fmtName(values[0].name)}` : fmtValue(values[0], flags);
  }
  const items = values.map((v) => fmtValue(v, flags));
  return `${quant} [${items.join(', ')}]`;
}

function fmtCompare(e: CompareExpr): string {
  const field = e.timePart ? `${e.timePart}(${fmtName(e.field)})` : fmtName(e.field);
  const flags = e.op === 'regex' ? (e.flags ?? '') : undefined;
  let op = OP_TEXT[e.op];
  const single = e.values.length === 1 && e.quant === 'any';
  if (e.op === 'eq' && e.quant === 'any' && (!single || e.values[0].kind === 'list')) op = 'in';
  const vals = op === 'in' ? (single ? fmtValue(e.values[0]) : `[${e.values.map((v) => fmtValue(v)).join(', ')}]`) : fmtValues(e.values, e.quant, flags);
  return `${field} ${op}${e.cased ? ' cased' : ''} ${vals}`;
}

function fmtKeyword(e: KeywordExpr): string {
  const flags = e.op === 'regex' ? (e.flags ?? '') : undefined;
  return `* ${OP_TEXT[e.op]}${e.cased ? ' cased' : ''} ${fmtValues(e.values, e.quant, flags)}`;
}

const PREC: Record<string, number> = { or: 1, and: 2, not: 3 };

export function fmtExpr(e: Expr): string {
  switch (e.kind) {
    case 'or':
    case 'and': {
      if (e.args.length === 0) return e.kind === 'and' ? 'true' : 'false';
      const p = PREC[e.kind];
      return e.args
        .map((a) => {
          const s = fmtExpr(a);
          const ap = PREC[a.kind] ?? 4;
          // Same-kind children keep their parentheses so the tree round-trips exactly; an
          // `and` inside an `or` gets them too, for the reader.
          return ap < p || a.kind === e.kind || (e.kind === 'or' && a.kind === 'and') ? `(${s})` : s;
        })
        .join(` ${e.kind} `);
    }
    case 'not': {
      const s = fmtExpr(e.arg);
      return (PREC[e.arg.kind] ?? 4) < 3 ? `not (${s})` : `not ${s}`;
    }
    case 'cmp':
      return fmtCompare(e);
    case 'keyword':
      return fmtKeyword(e);
    case 'exists':
      return `exists(${fmtName(e.field)})`;
    case 'macro':
      return fmtName(e.name);
    case 'const':
      return String(e.value);
  }
}

function fmtAction(a: Action): string {
  switch (a.kind) {
    case 'alert':
      return a.severity ? `alert ${a.severity}` : 'alert';
    case 'block':
      return a.mode ? `block ${a.mode}` : 'block';
    case 'tag':
      return `tag [${a.tags.map(fmtId).join(', ')}]`;
    case 'scan':
      return `scan ${fmtString(a.policy)}${a.target !== undefined ? ` target ${fmtName(a.target)}` : ''}`;
    default:
      return a.kind;
  }
}
function fmtActions(actions: Action[]): string {
  return actions.length ? actions.map(fmtAction).join(', ') : 'none';
}

function fmtJson(v: unknown, indent: string): string {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return fmtScalar(v);
  if (Array.isArray(v)) return `[${v.map((x) => fmtJson(x, indent)).join(', ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (!entries.length) return '{}';
    const one = `{ ${entries.map(([k, x]) => `${fmtId(k)}: ${fmtJson(x, indent)}`).join(', ')} }`;
    if (one.length + indent.length <= WIDTH && !one.includes('\n')) return one;
    const inner = indent + '  ';
    return `{\n${entries.map(([k, x]) => `${inner}${fmtId(k)}: ${fmtJson(x, inner)}`).join('\n')}\n${indent}}`;
  }
  return 'null';
}

/** `[a, b]` on one line, or one item per line when too wide. */
function fmtBracketList(items: string[], indent: string, lead: number): string {
  const one = `[${items.join(', ')}]`;
  if (one.length + lead + indent.length <= WIDTH) return one;
  // Fill lines up to the width, one trailing comma per line.
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    const next = line ? `${line} ${it},` : `${it},`;
    if (line && indent.length + 2 + next.length > WIDTH) {
      lines.push(line);
      line = `${it},`;
    } else line = next;
  }
  if (line) lines.push(line);
  return `[\n${lines.map((l) => `${indent}  ${l}`).join('\n')}\n${indent}]`;
}

function fmtException(x: ExceptionDecl): string {
  const fields = x.fields.map((f, i) => (x.ops[i] && x.ops[i] !== 'eq' ? `${fmtName(f)} ${OP_TEXT[x.ops[i]]}` : fmtName(f)));
  const rows = x.values.map((r) => `(${r.map((v) => fmtValue(v)).join(', ')})`);
  const head = `  except ${fmtName(x.name)} (${fields.join(', ')}) `;
  const one = `{ ${rows.join(', ')} }`;
  if (!rows.length) return `${head}{ }`;
  if (head.length + one.length <= WIDTH) return head + one;
  return `${head}{\n${rows.map((r) => `    ${r},`).join('\n')}\n  }`;
}

function fmtRule(r: RuleDecl): string {
  const out = [`rule ${fmtId(r.id)} ${fmtString(r.title)} on ${r.on.map(fmtName).join(', ')} {`];
  if (r.description !== undefined) out.push(`  description ${fmtString(r.description)}`);
  if (r.author !== undefined) out.push(`  author ${fmtString(r.author)}`);
  if (r.level !== undefined) out.push(`  level ${r.level}`);
  if (r.status !== undefined) out.push(`  status ${r.status}`);
  if (r.tags.length) out.push(`  tags ${fmtBracketList(r.tags.map(fmtId), '  ', 7)}`);
  if (r.references.length) out.push(`  references ${fmtBracketList(r.references.map(fmtString), '  ', 13)}`);
  if (r.ruleName !== undefined) out.push(`  rule_name ${fmtString(r.ruleName)}`);
  if (!r.enabled) out.push('  enabled false');
  if (r.meta && Object.keys(r.meta).length) out.push(`  meta ${fmtJson(r.meta, '  ')}`);
  out.push(`  when ${fmtCondition(r.condition, '  ')}`);
  for (const x of r.exceptions) out.push(fmtException(x));
  out.push(`  action ${fmtActions(r.actions)}`);
  if (r.output !== undefined) out.push(`  output ${fmtString(r.output)}`);
  out.push('}');
  return out.join('\n');
}

/** Long top-level `and`/`or` chains break before each connective. */
function fmtCondition(e: Expr, indent: string): string {
  const one = fmtExpr(e);
  if (one.length + indent.length + 5 <= WIDTH || (e.kind !== 'and' && e.kind !== 'or') || e.args.length < 2) return one;
  const p = PREC[e.kind];
  const parts = e.args.map((a) => {
    const s = fmtExpr(a);
    return (PREC[a.kind] ?? 4) < p || a.kind === e.kind || (e.kind === 'or' && a.kind === 'and') ? `(${s})` : s;
  });
  return parts.join(`\n${indent}  ${e.kind} `);
}

const CORR_OP: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==', neq: '!=' };

function fmtCorrelation(c: CorrelationDecl): string {
  const out = [`correlation ${fmtId(c.id)} ${fmtString(c.title)} {`];
  if (c.description !== undefined) out.push(`  description ${fmtString(c.description)}`);
  if (c.author !== undefined) out.push(`  author ${fmtString(c.author)}`);
  if (c.level !== undefined) out.push(`  level ${c.level}`);
  if (c.tags.length) out.push(`  tags [${c.tags.map(fmtId).join(', ')}]`);
  if (c.references.length) out.push(`  references [${c.references.map(fmtString).join(', ')}]`);
  out.push(`  type ${c.type}`);
  out.push(`  rules [${c.rules.map((r) => (r === '*' ? '*' : fmtId(r))).join(', ')}]`);
  if (c.groupBy.length) out.push(`  group_by [${c.groupBy.map(fmtId).join(', ')}]`);
  out.push(`  timespan ${encodeDuration(c.timespanMs)}`);
  const cd = c.condition;
  out.push(`  condition ${cd.field !== undefined ? `field ${fmtName(cd.field)} ` : ''}${cd.percentile !== undefined ? `percentile ${fmtNumber(cd.percentile)} ` : ''}${CORR_OP[cd.op]} ${fmtNumber(cd.value)}`);
  if (Object.keys(c.aliases).length) out.push(`  aliases ${fmtJson(c.aliases, '  ')}`);
  if (c.generate) out.push('  generate true');
  out.push(`  action ${fmtActions(c.actions)}`);
  out.push('}');
  return out.join('\n');
}

function fmtTest(t: TestCase): string {
  const out = [`test ${fmtString(t.name)} on ${fmtName(t.on)} {`];
  out.push(`  event ${fmtJson(t.event, '  ')}`);
  const ids = (xs: string[]) => xs.map((x) => (x === '*' ? '*' : fmtId(x))).join(', ');
  const actions = t.expectActions ? ` actions [${t.expectActions.join(', ')}]` : '';
  if (t.expectMatch.length) out.push(`  expect match ${ids(t.expectMatch)}${actions}`);
  if (t.expectNoMatch.length === 1 && t.expectNoMatch[0] === '*') out.push('  expect none');
  else if (t.expectNoMatch.length) out.push(`  expect no match ${ids(t.expectNoMatch)}`);
  if (!t.expectMatch.length && t.expectActions) out.push(`  expect${actions}`);
  out.push('}');
  return out.join('\n');
}

export function formatPolicy(p: Policy, comments: SourceComment[] = []): string {
  let header = `policy ${fmtString(p.name)} version ${fmtString(p.version)}`;
  if (p.engine !== undefined) header += ` engine ${fmtString(p.engine)}`;
  if (p.description !== undefined) header += `\n  description ${fmtString(p.description)}`;
  // A file without a header keeps having none (its name comes from the file name).
  const implicit = hasImplicitHeader(p) && p.version === '0.0.0' && p.engine === undefined && p.description === undefined;
  const head: string[] = implicit ? [] : [header];
  const byVerdict = Object.entries(p.defaults);
  if (byVerdict.length) head.push(byVerdict.map(([t, v]) => `default ${fmtName(t)} ${v}`).join('\n'));
  if (p.agentConfig && Object.keys(p.agentConfig).length) head.push(`config ${fmtJson(p.agentConfig, '')}`);

  type Item = { offset: number; end: number; text: string; group: number };
  const file = p.span?.file;
  const items: Item[] = [];
  const add = (span: { file: string; offset: number; endOffset: number } | undefined, text: string, group: number) => {
    const own = span && span.file === file;
    items.push({ offset: own ? span.offset : Number.MAX_SAFE_INTEGER, end: own ? span.endOffset : Number.MAX_SAFE_INTEGER, text, group });
  };
  for (const l of p.lists) add(l.span, `list ${fmtName(l.name)} = ${fmtBracketList(l.items.map(fmtScalar), '', 8 + l.name.length)}`, 0);
  for (const m of p.macros) add(m.span, `macro ${fmtName(m.name)} = ${fmtCondition(m.condition, '')}`, 1);
  for (const r of p.rules) add(r.span, fmtRule(r), 2);
  for (const c of p.correlations) add(c.span, fmtCorrelation(c), 3);
  for (const t of p.tests) add(t.span, fmtTest(t), 4);
  // Each kind keeps its AST order (rule order is meaning: matches come in policy order); the
  // kinds are interleaved by source position so a .luna file keeps its author's layout.
  const queues = [0, 1, 2, 3, 4].map((g) => items.filter((it) => it.group === g));
  items.length = 0;
  for (;;) {
    let best = -1;
    for (let g = 0; g < queues.length; g++) if (queues[g].length && (best < 0 || queues[g][0].offset < queues[best][0].offset)) best = g;
    if (best < 0) break;
    items.push(queues[best].shift()!);
  }

  const pending = [...comments].sort((a, b) => a.offset - b.offset);
  const take = (before: number): string[] => {
    const out: string[] = [];
    while (pending.length && pending[0].offset < before) out.push(pending.shift()!.text.trimEnd());
    return out;
  };
  const firstOffset = items.length ? items[0].offset : Number.MAX_SAFE_INTEGER;
  const blocks: string[] = [];
  const leading = take(Math.min(firstOffset, p.rules[0]?.span?.offset ?? Number.MAX_SAFE_INTEGER));
  // Comments above the header stay above it.
  if (leading.length || head.length) blocks.push([...leading, ...head].join('\n'));
  // Consecutive lists (and macros) form one block; everything else is separated by a blank line.
  let prevGroup = -1;
  for (const it of items) {
    const cs = take(it.end);
    const text = [...cs, it.text].join('\n');
    if ((it.group === 0 || it.group === 1) && it.group === prevGroup && !cs.length) blocks[blocks.length - 1] += `\n${text}`;
    else blocks.push(text);
    prevGroup = it.group;
  }
  const trailing = take(Number.POSITIVE_INFINITY);
  if (trailing.length) blocks.push(trailing.join('\n'));
  return blocks.join('\n\n') + '\n';
}
