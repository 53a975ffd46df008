// CST → AST for .luna files. Works on recovered (partial) CSTs: every child may be missing,
// and problems that the grammar cannot express (bad level, unknown action, bad escapes,
// mixed regex flags, list limits) become diagnostics here.

import type { CstElement, CstNode, IToken } from 'chevrotain';
import {
  LEVELS, type Action, type ActionKind, type BlockMode, type CompareExpr, type CompareOp, type CorrelationDecl,
  type ExceptionDecl, type Expr, type KeywordExpr, type Level, type ListDecl, type MacroDecl, type Policy,
  type RuleDecl, type RuleStatus, type Scalar, type Span, type TestCase, type TimePart, type Value, type Verdict,
} from '../ast.ts';
import { diag, didYouMean, type Diagnostic } from '../diagnostics.ts';
import { MAX_LIST_ITEMS } from '../limits.ts';
import { markImplicitHeader, recordSpan, recordStringStart } from '../locations.ts';
import { decodeDuration, decodeNumber, decodeRegex, decodeStringToken } from './strings.ts';

export const ACTION_KINDS: readonly ActionKind[] = ['log', 'drop', 'alert', 'block', 'kill', 'tag', 'scan'];
export const BLOCK_MODES: readonly BlockMode[] = ['accessdenied', 'notfound', 'pending'];
export const STATUSES: readonly RuleStatus[] = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
export const TIME_PARTS: readonly TimePart[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];
export const CORRELATION_TYPES: readonly CorrelationDecl['type'][] = [
  'event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile',
];

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement | undefined): e is IToken {
  return !!e && (e as IToken).image !== undefined;
}
function kids(n: CstNode | undefined): Children {
  return (n?.children ?? {}) as Children;
}
function node(c: Children, name: string, i = 0): CstNode | undefined {
  const e = c[name]?.[i];
  return e && !isToken(e) ? e : undefined;
}
function nodes(c: Children, name: string): CstNode[] {
  return (c[name] ?? []).filter((e): e is CstNode => !isToken(e));
}
function tok(c: Children, name: string, i = 0): IToken | undefined {
  const e = c[name]?.[i];
  return isToken(e) && !Number.isNaN(e.startOffset) ? e : undefined;
}
function toks(c: Children, name: string): IToken[] {
  return (c[name] ?? []).filter((e): e is IToken => isToken(e) && !Number.isNaN(e.startOffset));
}

export class CstToAst {
  readonly diagnostics: Diagnostic[] = [];
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  // ---------- spans ----------
  tokenSpan(t: IToken): Span {
    return {
      file: this.file,
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1,
      endCol: (t.endColumn ?? t.startColumn ?? 0) + 1,
      offset: t.startOffset,
      endOffset: (t.endOffset ?? t.startOffset) + 1,
    };
  }
  nodeSpan(n: CstNode | undefined): Span | undefined {
    const l = n?.location;
    if (!l || Number.isNaN(l.startOffset)) return undefined;
    return {
      file: this.file,
      line: l.startLine ?? 1,
      col: l.startColumn ?? 1,
      endLine: l.endLine ?? l.startLine ?? 1,
      endCol: (l.endColumn ?? l.startColumn ?? 0) + 1,
      offset: l.startOffset,
      endOffset: (Number.isNaN(l.endOffset ?? NaN) ? l.startOffset : l.endOffset!) + 1,
    };
  }
  error(code: string, message: string, span: Span | undefined, suggestion?: string): void {
    this.diagnostics.push(diag(code, 'error', message, { span, file: span ? undefined : this.file, suggestion }));
  }
  warn(code: string, message: string, span: Span | undefined, suggestion?: string): void {
    this.diagnostics.push(diag(code, 'warning', message, { span, file: span ? undefined : this.file, suggestion }));
  }

  /** Span of the single token inside a small node (str, name, ruleId). */
  leafSpan(n: CstNode | undefined): Span | undefined {
    if (!n) return undefined;
    for (const els of Object.values(kids(n))) {
      for (const e of els ?? []) {
        if (isToken(e)) return Number.isNaN(e.startOffset) ? undefined : this.tokenSpan(e);
        const inner = this.leafSpan(e);
        if (inner) return inner;
      }
    }
    return undefined;
  }
  /** Record the spans of the ids in an idList under `ref:<id>` on `owner`. */
  recordIds(owner: object, n: CstNode | undefined): void {
    const holder = node(kids(n), 'idItems');
    for (const it of nodes(kids(holder), 'idItem')) {
      const c = kids(it);
      const id = tok(c, 'Star') ? '*' : this.ruleId(node(c, 'ruleId'));
      if (id !== undefined) recordSpan(owner, `ref:${id}`, this.leafSpan(it));
    }
  }

  // ---------- leaves ----------
  str(n: CstNode | undefined): string | undefined {
    const c = kids(n);
    const t = tok(c, 'DString') ?? tok(c, 'RawString') ?? tok(c, 'SString');
    if (!t) return undefined;
    const d = decodeStringToken(t.tokenType.name, t.image);
    for (const e of d.errors) {
      const s = this.tokenSpan(t);
      this.error('LUN1008', e.message, { ...s, col: s.col + e.at, endCol: s.col + e.at + 2, offset: s.offset + e.at, endOffset: s.offset + e.at + 2, endLine: s.line }, e.suggestion);
    }
    return d.value;
  }
  nameTok(n: CstNode | undefined): IToken | undefined {
    const c = kids(n);
    return tok(c, 'Ident') ?? tok(c, 'BacktickIdent');
  }
  nameOf(t: IToken | undefined): string | undefined {
    if (!t) return undefined;
    return t.tokenType.name === 'BacktickIdent' ? t.image.slice(1, -1) : t.image;
  }
  name(n: CstNode | undefined): string | undefined {
    return this.nameOf(this.nameTok(n));
  }
  ruleId(n: CstNode | undefined): string | undefined {
    const c = kids(n);
    const t = tok(c, 'Ident');
    return t ? t.image : this.str(node(c, 'str'));
  }
  bool(n: CstNode | undefined): boolean | undefined {
    const c = kids(n);
    if (tok(c, 'K_true')) return true;
    if (tok(c, 'K_false')) return false;
    return undefined;
  }
  nameList(n: CstNode | undefined): string[] {
    return nodes(kids(n), 'nameOrString')
      .map((x) => {
        const c = kids(x);
        return node(c, 'name') ? this.name(node(c, 'name')) : this.str(node(c, 'str'));
      })
      .filter((s): s is string => s !== undefined);
  }
  stringList(n: CstNode | undefined): string[] {
    return nodes(kids(n), 'str')
      .map((x) => this.str(x))
      .filter((s): s is string => s !== undefined);
  }
  idList(n: CstNode | undefined): string[] {
    const items = kids(n);
    const holder = node(items, 'idItems');
    return nodes(kids(holder), 'idItem')
      .map((it) => {
        const c = kids(it);
        return tok(c, 'Star') ? '*' : this.ruleId(node(c, 'ruleId'));
      })
      .filter((s): s is string => s !== undefined);
  }
  literal(n: CstNode | undefined): Scalar | undefined {
    const c = kids(n);
    if (node(c, 'str')) return this.str(node(c, 'str'));
    const num = tok(c, 'Number');
    if (num) return decodeNumber(num.image);
    if (tok(c, 'K_true')) return true;
    if (tok(c, 'K_false')) return false;
    if (tok(c, 'K_null')) return null;
    return undefined;
  }
  jsonValue(n: CstNode | undefined): unknown {
    const c = kids(n);
    if (node(c, 'literal')) return this.literal(node(c, 'literal'));
    if (node(c, 'jsonObject')) return this.jsonObject(node(c, 'jsonObject'));
    if (node(c, 'jsonArray')) return nodes(kids(node(c, 'jsonArray')), 'jsonValue').map((v) => this.jsonValue(v));
    if (node(c, 'bare')) return this.name(node(c, 'bare'));
    return undefined;
  }
  jsonObject(n: CstNode | undefined): Record<string, unknown> {
    const c = kids(n);
    const keys = nodes(c, 'jsonKey');
    const vals = nodes(c, 'jsonValue');
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => {
      const kc = kids(k);
      const key = node(kc, 'name') ? this.name(node(kc, 'name')) : this.str(node(kc, 'str'));
      if (key === undefined) return;
      if (Object.hasOwn(out, key)) this.error('LUN1016', `duplicate key '${key}'`, this.nodeSpan(k));
      out[key] = this.jsonValue(vals[i]);
    });
    return out;
  }

  /** One value of a comparison; Regex tokens come back as strings plus their flags. */
  value(n: CstNode | undefined): { value: Value; flags?: string; isRegex: boolean } | undefined {
    const c = kids(n);
    if (tok(c, 'DString') || tok(c, 'RawString') || tok(c, 'SString')) return { value: { kind: 'str', value: this.str(n) ?? '' }, isRegex: false };
    const num = tok(c, 'Number');
    if (num) return { value: { kind: 'num', value: decodeNumber(num.image) }, isRegex: false };
    if (tok(c, 'K_true')) return { value: { kind: 'bool', value: true }, isRegex: false };
    if (tok(c, 'K_false')) return { value: { kind: 'bool', value: false }, isRegex: false };
    if (tok(c, 'K_null')) return { value: { kind: 'null' }, isRegex: false };
    const re = tok(c, 'Regex');
    if (re) {
      const { pattern, flags } = decodeRegex(re.image);
      const bad = [...flags].filter((f) => !'ims'.includes(f));
      if (bad.length) this.error('LUN1014', `unknown regex flag '${bad.join('')}': Luna supports i, m and s`, this.tokenSpan(re));
      const uniq = [...new Set([...flags].filter((f) => 'ims'.includes(f)))].sort().join('');
      return { value: { kind: 'str', value: pattern }, flags: uniq, isRegex: true };
    }
    if (tok(c, 'K_field')) {
      const ft = this.nameTok(node(c, 'fieldName'));
      const name = this.nameOf(ft);
      if (name === undefined) return undefined;
      return { value: { kind: 'field', name, span: ft ? this.tokenSpan(ft) : undefined }, isRegex: false };
    }
    const lr = tok(c, 'listRef');
    if (lr) return { value: { kind: 'list', name: this.nameOf(lr)!, span: this.tokenSpan(lr) }, isRegex: false };
    return undefined;
  }

  // ---------- conditions ----------
  condition(n: CstNode | undefined, depth = 0): Expr {
    const c = kids(n);
    const args = nodes(c, 'andExpr').map((a) => this.andExpr(a, depth));
    if (args.length === 1) return args[0];
    if (args.length === 0) return { kind: 'const', value: false, span: this.nodeSpan(n) };
    return { kind: 'or', args, span: this.nodeSpan(n) };
  }
  andExpr(n: CstNode, depth: number): Expr {
    const args = nodes(kids(n), 'notExpr').map((a) => this.notExpr(a, depth));
    if (args.length === 1) return args[0];
    if (args.length === 0) return { kind: 'const', value: false, span: this.nodeSpan(n) };
    return { kind: 'and', args, span: this.nodeSpan(n) };
  }
  notExpr(n: CstNode, depth: number): Expr {
    const c = kids(n);
    if (tok(c, 'K_not')) return { kind: 'not', arg: this.notExpr(node(c, 'notExpr') ?? n, depth + 1), span: this.nodeSpan(n) };
    const p = node(c, 'primary');
    return p ? this.primary(p, depth) : { kind: 'const', value: false, span: this.nodeSpan(n) };
  }
  primary(n: CstNode, depth: number): Expr {
    const c = kids(n);
    const span = this.nodeSpan(n);
    if (node(c, 'condition')) return this.condition(node(c, 'condition'), depth + 1);
    if (tok(c, 'K_true')) return { kind: 'const', value: true, span };
    if (tok(c, 'K_false')) return { kind: 'const', value: false, span };
    if (tok(c, 'K_exists')) {
      const f = this.name(node(c, 'fieldName'));
      return { kind: 'exists', field: f ?? '', span };
    }
    if (tok(c, 'Star')) return this.keyword(node(c, 'keyword'), span);
    const fr = node(c, 'fieldRef');
    const frc = kids(fr);
    const outerTok = tok(frc, 'outer');
    const outer = this.nameOf(outerTok) ?? '';
    const inner = this.name(node(frc, 'inner'));
    const rest = node(c, 'compareRest');
    if (!rest) {
      if (inner !== undefined) {
        this.error('LUN1017', `${outer}(${inner}) needs a comparison, e.g. ${outer}(${inner}) >= 22`, span);
      }
      return { kind: 'macro', name: outer, span };
    }
    let field = outer;
    let timePart: TimePart | undefined;
    if (inner !== undefined) {
      field = inner;
      if ((TIME_PARTS as readonly string[]).includes(outer)) timePart = outer as TimePart;
      else {
        const s = outerTok ? this.tokenSpan(outerTok) : span;
        this.error('LUN1013', `unknown function '${outer}': only the time parts ${TIME_PARTS.join(', ')} apply to a field`, s,
          didYouMean(outer, TIME_PARTS) ? `did you mean ${didYouMean(outer, TIME_PARTS)}?` : undefined);
      }
    }
    return this.comparison(field, timePart, rest, span);
  }

  private restParts(rest: CstNode): { op: CompareOp; negated: boolean; cased: boolean; quant: 'any' | 'all'; values: Value[]; flags?: string; opTok?: IToken; sawRegex: boolean } {
    const c = kids(rest);
    const opTok = tok(c, 'op');
    const [op, opNeg] = mapOp(opTok?.image ?? '==');
    const negated = !!tok(c, 'K_not') !== opNeg;
    const vs = c;
    const quant = tok(vs, 'K_all') ? 'all' : 'any';
    const raw = node(vs, 'listLiteral') ? nodes(kids(node(vs, 'listLiteral')), 'value') : nodes(vs, 'value');
    const values: Value[] = [];
    const flagSet = new Set<string>();
    let sawRegex = false;
    for (const v of raw) {
      const r = this.value(v);
      if (!r) continue;
      values.push(r.value);
      if (r.isRegex) {
        sawRegex = true;
        flagSet.add(r.flags ?? '');
        if (op !== 'regex') {
          this.error('LUN1012', `a /regex/ value needs the =~ operator, not '${opTok?.image ?? '?'}'`, this.nodeSpan(v), 'write the value as a string, or use =~');
        }
      }
    }
    if (values.length > MAX_LIST_ITEMS) this.error('LUN1006', `list has ${values.length} items; at most ${MAX_LIST_ITEMS} are allowed`, this.nodeSpan(rest));
    if (flagSet.size > 1) this.error('LUN1011', 'all regexes of one comparison must use the same flags', this.nodeSpan(rest), 'split the comparison with `or`');
    const flags = op === 'regex' ? ([...flagSet][0] ?? '') : undefined;
    return { op, negated, cased: !!tok(c, 'K_cased'), quant, values, flags, opTok, sawRegex };
  }

  comparison(field: string, timePart: TimePart | undefined, rest: CstNode, span: Span | undefined): Expr {
    const p = this.restParts(rest);
    const cmp: CompareExpr = { kind: 'cmp', field, op: p.op, values: p.values, quant: p.quant, cased: p.cased, span };
    // No flags → no `flags` key (the shape importers produce too).
    if (p.op === 'regex' && p.flags) cmp.flags = p.flags;
    if (timePart) cmp.timePart = timePart;
    return p.negated ? { kind: 'not', arg: cmp, span } : cmp;
  }

  keyword(rest: CstNode | undefined, span: Span | undefined): Expr {
    if (!rest) return { kind: 'const', value: false, span };
    const p = this.restParts(rest);
    if (p.op !== 'contains' && p.op !== 'glob' && p.op !== 'regex') {
      this.error('LUN1018', `keyword search (*) supports contains, matches and =~, not '${p.opTok?.image ?? '?'}'`, span,
        'write e.g. * contains "mimikatz"');
    }
    const op = p.op === 'glob' || p.op === 'regex' ? p.op : 'contains';
    const kw: KeywordExpr = { kind: 'keyword', op, values: p.values, quant: p.quant, cased: p.cased, span };
    if (op === 'regex' && p.flags) kw.flags = p.flags;
    return p.negated ? { kind: 'not', arg: kw, span } : kw;
  }

  // ---------- declarations ----------
  listDecl(n: CstNode, lists: Map<string, Scalar[]>): ListDecl | undefined {
    const c = kids(n);
    const name = this.name(node(c, 'name'));
    if (name === undefined) return undefined;
    const items: Scalar[] = [];
    for (const v of nodes(kids(node(c, 'listLiteral')), 'value')) {
      const vc = kids(v);
      const lit = tok(vc, 'DString') || tok(vc, 'RawString') || tok(vc, 'SString') || tok(vc, 'Number') || tok(vc, 'K_true') || tok(vc, 'K_false') || tok(vc, 'K_null');
      if (lit) {
        const r = this.value(v);
        if (r) items.push(r.value.kind === 'null' ? null : (r.value as { value: Scalar }).value);
      } else if (tok(vc, 'listRef')) {
        // Falco-style composition: an earlier list's items are spliced in.
        const ref = tok(vc, 'listRef')!;
        const refName = this.nameOf(ref)!;
        const other = lists.get(refName);
        if (other) items.push(...other);
        else {
          const dym = didYouMean(refName, lists.keys());
          this.error('LUN2007', `unknown list '${refName}' (lists can only include lists declared above them)`, this.tokenSpan(ref), dym ? `did you mean ${dym}?` : undefined);
        }
      } else if (Object.keys(vc).length && !v.recoveredNode) {
        this.error('LUN1019', 'list items must be literal values (strings, numbers, booleans, null)', this.nodeSpan(v));
      }
    }
    if (items.length > MAX_LIST_ITEMS) {
      this.error('LUN1006', `list '${name}' has ${items.length} items; at most ${MAX_LIST_ITEMS} are allowed`, this.nodeSpan(n), 'split the list');
    }
    lists.set(name, items);
    const decl: ListDecl = { name, items, span: this.nodeSpan(n) };
    recordSpan(decl, 'name', this.leafSpan(node(c, 'name')));
    return decl;
  }

  macroDecl(n: CstNode): MacroDecl | undefined {
    const c = kids(n);
    const name = this.name(node(c, 'name'));
    if (name === undefined) return undefined;
    const decl: MacroDecl = { name, condition: this.condition(node(c, 'condition')), span: this.nodeSpan(n) };
    recordSpan(decl, 'name', this.leafSpan(node(c, 'name')));
    return decl;
  }

  level(n: CstNode | undefined): Level | undefined {
    const t = this.nameTok(n);
    if (!t) return undefined;
    if ((LEVELS as readonly string[]).includes(t.image)) return t.image as Level;
    const dym = didYouMean(t.image, LEVELS);
    this.error('LUN2014', `unknown level '${t.image}': use one of ${LEVELS.join(', ')}`, this.tokenSpan(t), dym ? `did you mean ${dym}?` : undefined);
    return undefined;
  }

  actionList(n: CstNode | undefined): Action[] {
    const out: Action[] = [];
    const list = nodes(kids(n), 'action');
    for (const a of list) {
      const c = kids(a);
      const kindTok = tok(c, 'kind');
      if (!kindTok) continue;
      const kind = kindTok.image;
      const argTok = tok(c, 'arg');
      const tagsNode = node(c, 'tags');
      const policy = node(c, 'policy');
      const targetTok = this.nameTok(node(c, 'target'));
      const span = this.nodeSpan(a);
      const noArgs = (): void => {
        if (argTok || tagsNode || policy || targetTok) this.error('LUN2015', `action '${kind}' takes no arguments`, span);
      };
      if (kind === 'none') {
        noArgs();
        if (list.length > 1) this.error('LUN2015', "'none' cannot be combined with other actions", span);
        continue;
      }
      if (targetTok && kind !== 'scan') this.error('LUN2015', `only 'scan' takes a target field`, span);
      switch (kind) {
        case 'log':
        case 'drop':
        case 'kill':
          noArgs();
          out.push({ kind });
          break;
        case 'alert': {
          if (tagsNode || policy) this.error('LUN2015', "'alert' takes an optional level, e.g. alert high", span);
          if (argTok) {
            const lv = this.level({ children: { Ident: [argTok] } } as unknown as CstNode);
            out.push(lv ? { kind: 'alert', severity: lv } : { kind: 'alert' });
          } else out.push({ kind: 'alert' });
          break;
        }
        case 'block': {
          if (tagsNode || policy) this.error('LUN2015', "'block' takes an optional mode: accessdenied, notfound or pending", span);
          if (argTok) {
            if ((BLOCK_MODES as readonly string[]).includes(argTok.image)) out.push({ kind: 'block', mode: argTok.image as BlockMode });
            else {
              const dym = didYouMean(argTok.image, BLOCK_MODES);
              this.error('LUN2015', `unknown block mode '${argTok.image}': use accessdenied, notfound or pending`, this.tokenSpan(argTok), dym ? `did you mean ${dym}?` : undefined);
              out.push({ kind: 'block' });
            }
          } else out.push({ kind: 'block' });
          break;
        }
        case 'tag': {
          const tags = tagsNode ? this.nameList(tagsNode) : argTok ? [argTok.image] : [];
          if (policy) this.error('LUN2015', "'tag' takes names, e.g. tag [triage, t1059]", span);
          if (!tags.length) this.error('LUN2015', "'tag' needs at least one tag, e.g. tag [triage]", span);
          out.push({ kind: 'tag', tags });
          break;
        }
        case 'scan': {
          const name = policy ? this.str(policy) : argTok?.image;
          if (tagsNode) this.error('LUN2015', "'scan' takes a scan policy name, e.g. scan \"quick\" target DestinationIp", span);
          if (name === undefined) {
            this.error('LUN2015', "'scan' needs a scan policy name, e.g. scan \"quick\" target DestinationIp", span);
            break;
          }
          const target = this.nameOf(targetTok);
          out.push(target !== undefined ? { kind: 'scan', policy: name, target } : { kind: 'scan', policy: name });
          break;
        }
        default: {
          const dym = didYouMean(kind, [...ACTION_KINDS, 'none']);
          this.error('LUN2015', `unknown action '${kind}': use log, drop, alert, block, kill, tag, scan or none`, this.tokenSpan(kindTok), dym ? `did you mean ${dym}?` : undefined);
        }
      }
    }
    return out;
  }

  exceptionDecl(n: CstNode): ExceptionDecl | undefined {
    const c = kids(n);
    const name = this.name(node(c, 'name'));
    if (name === undefined) return undefined;
    const fields: string[] = [];
    const ops: CompareOp[] = [];
    for (const f of nodes(c, 'exceptionField')) {
      const fc = kids(f);
      const fname = this.name(node(fc, 'fieldName'));
      if (fname === undefined) continue;
      const opTok = tok(fc, 'CompareOperator');
      const [op, neg] = mapOp(opTok?.image ?? '==');
      if (neg) this.error('LUN1020', `exceptions cannot use the negated operator '${opTok?.image}'`, this.nodeSpan(f));
      fields.push(fname);
      ops.push(op);
    }
    const values: Value[][] = [];
    for (const row of nodes(c, 'exceptionRow')) {
      const cells: Value[] = [];
      for (const v of nodes(kids(row), 'value')) {
        const r = this.value(v);
        if (r) cells.push(r.value);
      }
      values.push(cells);
    }
    return { name, fields, ops, values, span: this.nodeSpan(n) };
  }

  ruleDecl(n: CstNode): RuleDecl | undefined {
    const c = kids(n);
    const id = this.ruleId(node(c, 'id'));
    if (id === undefined) return undefined;
    const span = this.nodeSpan(n);
    const on = nodes(c, 'types').map((t) => this.name(t)).filter((s): s is string => s !== undefined);
    const rule: RuleDecl = {
      id,
      title: this.str(node(c, 'title')) ?? id,
      tags: [],
      references: [],
      on,
      condition: { kind: 'const', value: false },
      exceptions: [],
      actions: [],
      enabled: true,
      span,
    };
    recordSpan(rule, 'name', this.leafSpan(node(c, 'id')));
    nodes(c, 'types').forEach((t, i) => recordSpan(rule, `on:${i}`, this.leafSpan(t)));
    const seen = new Set<string>();
    let sawWhen = false;
    let sawAction = false;
    for (const st of nodes(c, 'ruleStatement')) {
      const sc = kids(st);
      const kw = Object.keys(sc).find((k) => k.startsWith('S_'));
      const key = kw ?? 'except';
      const single = ['S_title', 'S_description', 'S_author', 'S_level', 'S_status', 'S_rule_name', 'S_enabled', 'S_when', 'S_output'];
      if (single.includes(key)) {
        if (seen.has(key)) this.error('LUN1015', `'${key.slice(2)}' is given twice in rule ${id}`, this.nodeSpan(st), 'keep one');
        seen.add(key);
      }
      switch (key) {
        case 'S_title': rule.title = this.str(node(sc, 'title')) ?? rule.title; break;
        case 'S_description': { const v = this.str(node(sc, 'description')); if (v !== undefined) rule.description = v; break; }
        case 'S_author': { const v = this.str(node(sc, 'author')); if (v !== undefined) rule.author = v; break; }
        case 'S_level': { const v = this.level(node(sc, 'level')); if (v) rule.level = v; break; }
        case 'S_status': {
          const t = this.nameTok(node(sc, 'status'));
          if (t && (STATUSES as readonly string[]).includes(t.image)) rule.status = t.image as RuleStatus;
          else if (t) {
            const dym = didYouMean(t.image, STATUSES);
            this.error('LUN2020', `unknown status '${t.image}': use one of ${STATUSES.join(', ')}`, this.tokenSpan(t), dym ? `did you mean ${dym}?` : undefined);
          }
          break;
        }
        case 'S_tags': rule.tags.push(...this.nameList(node(sc, 'tags'))); break;
        case 'S_references': rule.references.push(...this.stringList(node(sc, 'references'))); break;
        case 'S_rule_name': { const v = this.str(node(sc, 'ruleName')); if (v !== undefined) rule.ruleName = v; break; }
        case 'S_enabled': { const v = this.bool(node(sc, 'enabled')); if (v !== undefined) rule.enabled = v; break; }
        case 'S_when': sawWhen = true; rule.condition = this.condition(node(sc, 'when')); break;
        case 'S_action': sawAction = true; rule.actions.push(...this.actionList(node(sc, 'actionList'))); break;
        case 'S_output': {
          const on = node(sc, 'output');
          const v = this.str(on);
          if (v !== undefined) rule.output = v;
          const ot = tok(kids(on), 'DString') ?? tok(kids(on), 'RawString') ?? tok(kids(on), 'SString');
          // Raw and single-quoted strings are the template verbatim: positions inside map 1:1.
          if (ot && ot.tokenType.name !== 'DString') recordStringStart(rule, 'output', this.tokenSpan(ot), ot.tokenType.name === 'RawString' ? 2 : 1);
          else recordSpan(rule, 'output', ot ? this.tokenSpan(ot) : undefined);
          break;
        }
        case 'S_meta': {
          const obj = this.jsonObject(node(sc, 'meta'));
          rule.meta ??= {};
          for (const [k, v] of Object.entries(obj)) {
            if (typeof v === 'string') rule.meta[k] = v;
            else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) rule.meta[k] = v as string[];
            else this.error('LUN1021', `meta '${k}' must be a string or a list of strings`, this.nodeSpan(st));
          }
          break;
        }
        default: {
          const ex = this.exceptionDecl(node(sc, 'exceptionDecl')!);
          if (ex) rule.exceptions.push(ex);
        }
      }
    }
    if (!sawWhen) this.error('LUN2019', `rule ${id} has no 'when' condition`, span, 'add e.g. when Image endswith "/bash"');
    // A rule without an action line is a detection: it alerts.
    if (!sawAction) rule.actions = [{ kind: 'alert' }];
    return rule;
  }

  correlationDecl(n: CstNode): CorrelationDecl | undefined {
    const c = kids(n);
    const id = this.ruleId(node(c, 'id'));
    if (id === undefined) return undefined;
    const corr: CorrelationDecl = {
      id,
      title: this.str(node(c, 'title')) ?? id,
      tags: [],
      references: [],
      type: 'event_count',
      rules: [],
      groupBy: [],
      timespanMs: 0,
      condition: { op: 'gte', value: 1 },
      aliases: {},
      generate: false,
      actions: [],
      span: this.nodeSpan(n),
    };
    recordSpan(corr, 'name', this.leafSpan(node(c, 'id')));
    let sawType = false;
    let sawTimespan = false;
    let sawCondition = false;
    let sawAction = false;
    for (const st of nodes(c, 'correlationStatement')) {
      const sc = kids(st);
      const key = Object.keys(sc).find((k) => k.startsWith('S_')) ?? '';
      switch (key) {
        case 'S_title': corr.title = this.str(node(sc, 'title')) ?? corr.title; break;
        case 'S_description': { const v = this.str(node(sc, 'description')); if (v !== undefined) corr.description = v; break; }
        case 'S_author': { const v = this.str(node(sc, 'author')); if (v !== undefined) corr.author = v; break; }
        case 'S_level': { const v = this.level(node(sc, 'level')); if (v) corr.level = v; break; }
        case 'S_tags': corr.tags.push(...this.nameList(node(sc, 'tags'))); break;
        case 'S_references': corr.references.push(...this.stringList(node(sc, 'references'))); break;
        case 'S_type': {
          sawType = true;
          const t = this.nameTok(node(sc, 'type'));
          if (t && (CORRELATION_TYPES as readonly string[]).includes(t.image)) corr.type = t.image as CorrelationDecl['type'];
          else if (t) {
            const dym = didYouMean(t.image, CORRELATION_TYPES);
            this.error('LUN2021', `unknown correlation type '${t.image}': use one of ${CORRELATION_TYPES.join(', ')}`, this.tokenSpan(t), dym ? `did you mean ${dym}?` : undefined);
          }
          break;
        }
        case 'S_rules': corr.rules.push(...this.idList(node(sc, 'rules'))); this.recordIds(corr, node(sc, 'rules')); break;
        case 'S_group_by': corr.groupBy.push(...this.nameList(node(sc, 'groupBy'))); break;
        case 'S_timespan': {
          sawTimespan = true;
          const dc = kids(node(sc, 'timespan'));
          const t = tok(dc, 'Duration') ?? tok(dc, 'Number');
          if (t) corr.timespanMs = decodeDuration(t.image);
          break;
        }
        case 'S_condition': {
          sawCondition = true;
          const opTok = tok(sc, 'condOp');
          const valTok = tok(sc, 'condValue');
          const op = CORR_OPS[opTok?.image ?? ''];
          if (!op && opTok) this.error('LUN1022', `a correlation condition compares with >, >=, <, <=, == or !=, not '${opTok.image}'`, this.tokenSpan(opTok));
          corr.condition = { op: op ?? 'gte', value: valTok ? decodeNumber(valTok.image) : 1 };
          const f = this.name(node(sc, 'condField'));
          if (f !== undefined) corr.condition.field = f;
          const pt = tok(sc, 'percentile');
          if (pt) corr.condition.percentile = decodeNumber(pt.image);
          break;
        }
        case 'S_aliases': {
          const obj = this.jsonObject(node(sc, 'aliases'));
          for (const [alias, map] of Object.entries(obj)) {
            if (!map || typeof map !== 'object' || Array.isArray(map) || !Object.values(map).every((v) => typeof v === 'string')) {
              this.error('LUN1021', `alias '${alias}' must map rule ids to field names, e.g. { ${alias}: { RULE-A: SourceIp } }`, this.nodeSpan(st));
              continue;
            }
            corr.aliases[alias] = map as Record<string, string>;
          }
          break;
        }
        case 'S_generate': { const v = this.bool(node(sc, 'generate')); if (v !== undefined) corr.generate = v; break; }
        case 'S_action': sawAction = true; corr.actions.push(...this.actionList(node(sc, 'actionList'))); break;
      }
    }
    const span = corr.span;
    if (!sawType) this.error('LUN2022', `correlation ${id} needs a 'type' (${CORRELATION_TYPES.join(', ')})`, span);
    if (!sawTimespan) this.error('LUN2022', `correlation ${id} needs a 'timespan', e.g. timespan 5m`, span);
    if (!sawCondition && corr.type !== 'temporal' && corr.type !== 'temporal_ordered') {
      this.error('LUN2022', `correlation ${id} needs a 'condition', e.g. condition >= 10`, span);
    }
    if (!sawAction) corr.actions = [{ kind: 'alert' }];
    return corr;
  }

  testDecl(n: CstNode): TestCase | undefined {
    const c = kids(n);
    const name = this.str(node(c, 'name'));
    if (name === undefined) return undefined;
    const t: TestCase = { name, on: this.name(node(c, 'type')) ?? '', event: {}, expectMatch: [], expectNoMatch: [], span: this.nodeSpan(n) };
    recordSpan(t, 'name', this.leafSpan(node(c, 'name')));
    recordSpan(t, 'on:0', this.leafSpan(node(c, 'type')));
    let sawExpect = false;
    for (const st of nodes(c, 'testStatement')) {
      const sc = kids(st);
      if (tok(sc, 'S_event')) {
        const obj = node(sc, 'event');
        for (const k of nodes(kids(obj), 'jsonKey')) {
          const kc = kids(k);
          const key = node(kc, 'name') ? this.name(node(kc, 'name')) : undefined;
          if (key !== undefined) recordSpan(t, `field:${key}`, this.leafSpan(k));
        }
        flattenEvent(this.jsonObject(node(sc, 'event')), '', t.event, (msg) => this.error('LUN1021', msg, this.nodeSpan(st)));
        continue;
      }
      sawExpect = true;
      if (tok(sc, 'S_none')) t.expectNoMatch.push('*');
      else if (node(sc, 'noMatch')) {
        t.expectNoMatch.push(...this.idList(node(sc, 'noMatch')));
        this.recordIds(t, node(sc, 'noMatch'));
      } else if (node(sc, 'match')) {
        t.expectMatch.push(...this.idList(node(sc, 'match')));
        this.recordIds(t, node(sc, 'match'));
      }
      const actNode = node(sc, 'actions');
      if (actNode) {
        const kinds: ActionKind[] = [];
        for (const k of this.nameList(actNode)) {
          if ((ACTION_KINDS as readonly string[]).includes(k)) kinds.push(k as ActionKind);
          else {
            const dym = didYouMean(k, ACTION_KINDS);
            this.error('LUN2015', `unknown action '${k}' in expect actions`, this.nodeSpan(actNode), dym ? `did you mean ${dym}?` : undefined);
          }
        }
        t.expectActions = [...(t.expectActions ?? []), ...kinds];
      }
    }
    if (!sawExpect) this.error('LUN2023', `test "${name}" expects nothing`, t.span, 'add expect match <rule-id>, expect no match <rule-id> or expect none');
    return t;
  }

  policyFile(root: CstNode | undefined, defaultName: string): Policy {
    const policy: Policy = {
      kind: 'Policy', name: defaultName, version: '0.0.0', defaults: {}, lists: [], macros: [], rules: [], correlations: [], tests: [], origin: 'luna',
      span: this.nodeSpan(root) ?? { file: this.file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 },
    };
    const lists = new Map<string, Scalar[]>();
    let headers = 0;
    for (const item of nodes(kids(root), 'item')) {
      const ic = kids(item);
      const h = node(ic, 'policyHeader');
      if (h) {
        headers++;
        if (headers > 1) this.error('LUN1023', 'a file holds one policy: the policy header is given twice', this.nodeSpan(h));
        const hc = kids(h);
        policy.name = this.str(node(hc, 'name')) ?? policy.name;
        const v = this.str(node(hc, 'version'));
        if (v !== undefined) policy.version = v;
        recordSpan(policy, 'version', this.leafSpan(node(hc, 'version')));
        recordSpan(policy, 'engine', this.leafSpan(node(hc, 'engine')));
        const e = this.str(node(hc, 'engine'));
        if (e !== undefined) policy.engine = e;
        const d = this.str(node(hc, 'description'));
        if (d !== undefined) policy.description = d;
        continue;
      }
      const dd = node(ic, 'defaultDecl');
      if (dd) {
        const dc = kids(dd);
        const vt = this.nameTok(node(dc, 'verdict'));
        const verdict = vt?.image;
        if (verdict !== 'log' && verdict !== 'drop') {
          if (vt) this.error('LUN2024', `a default is 'log' or 'drop', not '${verdict}'`, this.tokenSpan(vt));
          continue;
        }
        for (const t of nodes(dc, 'types')) {
          const name = this.name(t);
          if (name !== undefined) policy.defaults[name] = verdict as Verdict;
          if (name !== undefined) recordSpan(policy, `default:${name}`, this.leafSpan(t));
        }
        continue;
      }
      const cd = node(ic, 'configDecl');
      if (cd) {
        policy.agentConfig = { ...(policy.agentConfig ?? {}), ...this.jsonObject(node(kids(cd), 'jsonObject')) };
        continue;
      }
      const ld = node(ic, 'listDecl');
      if (ld) { const l = this.listDecl(ld, lists); if (l) policy.lists.push(l); continue; }
      const md = node(ic, 'macroDecl');
      if (md) { const m = this.macroDecl(md); if (m) policy.macros.push(m); continue; }
      const rd = node(ic, 'ruleDecl');
      if (rd) { const r = this.ruleDecl(rd); if (r) policy.rules.push(r); continue; }
      const crd = node(ic, 'correlationDecl');
      if (crd) { const r = this.correlationDecl(crd); if (r) policy.correlations.push(r); continue; }
      const td = node(ic, 'testDecl');
      if (td) { const t = this.testDecl(td); if (t) policy.tests.push(t); }
    }
    if (headers === 0) markImplicitHeader(policy);
    return policy;
  }
}

const CORR_OPS: Record<string, CorrelationDecl['condition']['op']> = { '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', '==': 'eq', '=': 'eq', '!=': 'neq' };

/** Operator image → (AST op, negated). */
export function mapOp(image: string): [CompareOp, boolean] {
  switch (image) {
    case '==': case '=': case 'in': return ['eq', false];
    case '!=': return ['eq', true];
    case '=~': return ['regex', false];
    case '!~': return ['regex', true];
    case 'matches': return ['glob', false];
    case 'contains': case 'startswith': case 'endswith': case 'cidr': case 'bitand': return [image, false];
    case '<': return ['lt', false];
    case '<=': return ['lte', false];
    case '>': return ['gt', false];
    case '>=': return ['gte', false];
    default: return ['eq', false];
  }
}

export function scalarValue(v: Scalar): Value {
  if (v === null) return { kind: 'null' };
  if (typeof v === 'string') return { kind: 'str', value: v };
  if (typeof v === 'number') return { kind: 'num', value: v };
  return { kind: 'bool', value: v };
}

/** Nested test-event objects become dotted keys, like log readers flatten records. */
function flattenEvent(obj: Record<string, unknown>, prefix: string, out: Record<string, Scalar>, err: (m: string) => void): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (Array.isArray(v)) err(`event field '${key}' is a list; event fields hold one value`);
    else if (v && typeof v === 'object') flattenEvent(v as Record<string, unknown>, key, out, err);
  }
}
