// The .luna front end: text → tokens (lexer.ts) → CST (parser.ts) → AST (cst-to-ast.ts).
// Never throws: lexing and parsing errors are collected (Chevrotain recovers and goes on) and
// come back as diagnostics next to whatever could be built.

import { basename } from 'node:path';
import type { CstNode, IToken } from 'chevrotain';
import type { Action, Expr, Policy, Span, Value } from '../ast.ts';
import { diag, type Diagnostic } from '../diagnostics.ts';
import { MAX_DIAGNOSTICS_PER_FILE, MAX_FILE_BYTES, MAX_NESTING, MAX_TOKENS } from '../limits.ts';
import { And, lunaLexer, Not, Or } from './lexer.ts';
import { lunaParser, setMessageTokens } from './parser.ts';
import { CstToAst } from './cst-to-ast.ts';
import { markBroken } from '../locations.ts';

export interface ParseResult {
  policies: Policy[];
  diagnostics: Diagnostic[];
  /** Comments with their offsets (for the formatter). */
  comments?: { offset: number; text: string }[];
}

function spanAt(file: string, t: Pick<IToken, 'startOffset' | 'startLine' | 'startColumn' | 'endOffset' | 'endLine' | 'endColumn'>): Span {
  return {
    file,
    line: t.startLine ?? 1,
    col: t.startColumn ?? 1,
    endLine: t.endLine ?? t.startLine ?? 1,
    endCol: (t.endColumn ?? t.startColumn ?? 0) + 1,
    offset: t.startOffset,
    endOffset: (t.endOffset ?? t.startOffset) + 1,
  };
}

/** Position just after the last real token (for errors at the end of the input). */
function endSpan(file: string, text: string, last: IToken | undefined): Span {
  if (last) {
    const s = spanAt(file, last);
    return { ...s, line: s.endLine, col: s.endCol, offset: s.endOffset, endCol: s.endCol + 1, endOffset: s.endOffset + 1 };
  }
  const lines = text.split('\n');
  const line = lines.length;
  const col = (lines[line - 1]?.length ?? 0) + 1;
  return { file, line, col, endLine: line, endCol: col + 1, offset: text.length, endOffset: text.length + 1 };
}

type Tokenized = { tokens: IToken[]; diagnostics: Diagnostic[]; comments: { offset: number; text: string }[] };

export function tokenize(file: string, text: string): Tokenized {
  const diagnostics: Diagnostic[] = [];
  const lexed = lunaLexer.tokenize(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + Math.min(e.length, 20));
    // Habits from other languages get a pointer to Luna's spelling.
    const hint = /^\$/.test(ch) ? 'field names need no $: write Image, not $Image' : undefined;
    diagnostics.push(
      diag('LUN1009', 'error', `unexpected character${e.length > 1 ? 's' : ''} '${ch.replace(/\n/g, '\\n')}'`, {
        suggestion: hint,
        span: { file, line: e.line ?? 1, col: e.column ?? 1, endLine: e.line ?? 1, endCol: (e.column ?? 1) + Math.min(e.length, 20), offset: e.offset, endOffset: e.offset + e.length },
      }),
    );
  }
  const tokens: IToken[] = [];
  for (const t of lexed.tokens) {
    const n = t.tokenType.name;
    if (n === 'UnterminatedString') {
      diagnostics.push(diag('LUN1007', 'error', 'unterminated string: a string must end on the line it starts', { span: spanAt(file, t), suggestion: 'close it with the same quote it opened with' }));
      continue;
    }
    if (n === 'ForeignAnd' || n === 'ForeignOr' || n === 'ForeignNot') {
      const word = n === 'ForeignAnd' ? 'and' : n === 'ForeignOr' ? 'or' : 'not';
      diagnostics.push(diag('LUN1010', 'error', `'${t.image}' is not Luna syntax: write '${word}'`, { span: spanAt(file, t), suggestion: `replace '${t.image}' with '${word}'` }));
      const as = word === 'and' ? And : word === 'or' ? Or : Not;
      tokens.push({ ...t, tokenType: as, tokenTypeIdx: as.tokenTypeIdx! });
      continue;
    }
    if (n === 'UnterminatedRegex' || n === 'UnterminatedBacktick') {
      const what = n === 'UnterminatedRegex' ? 'unterminated /regex/: close it with / (write \\/ for a slash inside)' : 'unterminated `quoted name`: close it with `';
      diagnostics.push(diag('LUN1007', 'error', what, { span: spanAt(file, t) }));
      continue;
    }
    if (n === 'UnterminatedComment') {
      diagnostics.push(diag('LUN1007', 'error', 'unterminated /* comment', { span: { ...spanAt(file, t), endLine: t.startLine ?? 1, endCol: (t.startColumn ?? 1) + 2 }, suggestion: 'close it with */' }));
      continue;
    }
    tokens.push(t);
  }
  const comments = (lexed.groups.comments ?? []).map((t) => ({ offset: t.startOffset, text: t.image }));
  return { tokens, diagnostics, comments };
}

/** Nesting of brackets and `not` chains, checked before the recursive-descent parser runs. */
function nestingError(file: string, tokens: IToken[]): Diagnostic | undefined {
  let depth = 0;
  let nots = 0;
  for (const t of tokens) {
    const n = t.tokenType.name;
    if (n === 'LParen' || n === 'LBracket' || n === 'LBrace') depth++;
    else if (n === 'RParen' || n === 'RBracket' || n === 'RBrace') depth = Math.max(0, depth - 1);
    nots = n === 'K_not' ? nots + 1 : 0;
    if (depth + nots > MAX_NESTING) {
      return diag('LUN1005', 'error', `nesting deeper than ${MAX_NESTING} levels`, {
        span: spanAt(file, t),
        suggestion: 'flatten the condition, or move parts into macros',
      });
    }
  }
  return undefined;
}

export function parseLunaText(file: string, text: string): ParseResult {
  if (text.length > MAX_FILE_BYTES) {
    return { policies: [], diagnostics: [diag('LUN1004', 'error', `the policy is ${text.length} characters; at most ${MAX_FILE_BYTES} (10 MB) are allowed`, { file, suggestion: 'split the policy into several files' })] };
  }
  const { tokens, diagnostics, comments } = tokenize(file, text);
  if (tokens.length > MAX_TOKENS) {
    diagnostics.push(diag('LUN1004', 'error', `the policy has ${tokens.length} tokens; at most ${MAX_TOKENS} are allowed`, { file }));
    return { policies: [], diagnostics };
  }
  const deep = nestingError(file, tokens);
  if (deep) return { policies: [], diagnostics: [...diagnostics, deep] };

  const parser = lunaParser();
  setMessageTokens(tokens);
  // A copy: Chevrotain pads its input with EOF tokens, and `tokens` is used for positions below.
  parser.input = tokens.slice();
  const cst = parser.file();
  const seen = new Set<number>();
  for (const e of parser.errors) {
    const t = e.token;
    const span = t && !Number.isNaN(t.startOffset) && t.tokenType.name !== 'EOF' ? spanAt(file, t) : endSpan(file, text, tokens[tokens.length - 1]);
    if (seen.has(span.offset)) continue;
    seen.add(span.offset);
    diagnostics.push(diag('LUN1001', 'error', e.message, { span }));
  }
  const builder = new CstToAst(file);
  const name = basename(file).replace(/\.luna$/, '');
  const policy = builder.policyFile(cst, name);
  // Declarations that contain a syntax error: later warnings about them would only echo it.
  const errorOffsets = diagnostics.filter((d) => d.code === 'LUN1001').map((d) => d.span!.offset);
  for (const decl of [...policy.rules, ...policy.macros, ...policy.tests, ...policy.correlations]) {
    const sp = decl.span;
    if (sp && errorOffsets.some((o) => o >= sp.offset && o <= sp.endOffset)) markBroken(decl);
  }
  diagnostics.push(...builder.diagnostics);
  diagnostics.sort((a, b) => (a.span?.offset ?? 0) - (b.span?.offset ?? 0));
  if (diagnostics.length > MAX_DIAGNOSTICS_PER_FILE) {
    const rest = diagnostics.length - MAX_DIAGNOSTICS_PER_FILE;
    diagnostics.length = MAX_DIAGNOSTICS_PER_FILE;
    diagnostics.push(diag('LUN1098', 'info', `${rest} more problems in this file are not shown`, { file, suggestion: 'fix the first ones and check again' }));
  }
  return { policies: [policy], diagnostics, comments };
}

export interface Base {
  line: number;
  col: number;
  offset: number;
}

/**
 * Parse one grammar fragment on its own (the YAML form writes conditions, actions and values
 * in the same syntax). `base` is where `text` starts in its file, so spans point into it.
 */
function parseFragment<T>(file: string, text: string, base: Base | undefined, what: 'condition' | 'actionList' | 'value', build: (b: CstToAst, cst: CstNode) => T): { result?: T; diagnostics: Diagnostic[] } {
  const { tokens, diagnostics } = tokenize(file, text);
  const deep = nestingError(file, tokens);
  if (deep) return { diagnostics: shift([...diagnostics, deep], base) };
  const parser = lunaParser();
  setMessageTokens(tokens);
  // A copy: Chevrotain pads its input with EOF tokens, and `tokens` is used for positions below.
  parser.input = tokens.slice();
  const cst = what === 'condition' ? parser.condition() : what === 'actionList' ? parser.actionList() : parser.value();
  for (const e of parser.errors) {
    const t = e.token;
    const span = t && !Number.isNaN(t.startOffset) && t.tokenType.name !== 'EOF' ? spanAt(file, t) : endSpan(file, text, tokens[tokens.length - 1]);
    diagnostics.push(diag('LUN1001', 'error', e.message, { span }));
  }
  // The fragment rule returns at the first token it cannot use: the rest is an error too.
  const consumedTo = lastOffset(cst);
  const extra = tokens.find((t) => t.startOffset > consumedTo);
  if (!parser.errors.length && extra) {
    diagnostics.push(diag('LUN1001', 'error', `unexpected '${extra.image}' after the end of the ${what === 'actionList' ? 'action list' : what}`, { span: spanAt(file, extra) }));
  }
  const builder = new CstToAst(file);
  const result = build(builder, cst);
  diagnostics.push(...builder.diagnostics);
  return { result: shiftExpr(result, base), diagnostics: shift(diagnostics, base) };
}

function lastOffset(n: CstNode): number {
  const l = n.location;
  return l && l.endOffset !== undefined && !Number.isNaN(l.endOffset) ? l.endOffset : -1;
}

export function parseCondition(file: string, text: string, base?: Base): { expr?: Expr; diagnostics: Diagnostic[] } {
  const r = parseFragment(file, text, base, 'condition', (b, cst) => b.condition(cst));
  return { expr: r.result, diagnostics: r.diagnostics };
}

export function parseActions(file: string, text: string, base?: Base): { actions?: Action[]; diagnostics: Diagnostic[] } {
  const r = parseFragment(file, text, base, 'actionList', (b, cst) => b.actionList(cst));
  return { actions: r.result, diagnostics: r.diagnostics };
}

export function parseValue(file: string, text: string, base?: Base): { value?: Value; diagnostics: Diagnostic[] } {
  const r = parseFragment(file, text, base, 'value', (b, cst) => b.value(cst)?.value);
  return { value: r.result, diagnostics: r.diagnostics };
}

function shiftSpan(s: Span, base: Base): Span {
  const move = (line: number, col: number): [number, number] => (line === 1 ? [base.line, base.col + col - 1] : [base.line + line - 1, col]);
  const [line, col] = move(s.line, s.col);
  const [endLine, endCol] = move(s.endLine, s.endCol);
  return { ...s, line, col, endLine, endCol, offset: s.offset + base.offset, endOffset: s.endOffset + base.offset };
}
function shift(diags: Diagnostic[], base?: Base): Diagnostic[] {
  if (!base) return diags;
  return diags.map((d) => (d.span ? { ...d, span: shiftSpan(d.span, base) } : d));
}
function shiftExpr<T>(x: T, base?: Base): T {
  if (!base) return x;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v)) o[k] = k === 'span' && val ? shiftSpan(val as Span, base) : walk(val);
      return o;
    }
    return v;
  };
  return walk(x) as T;
}
