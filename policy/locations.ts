// Finer source positions than the AST carries (the AST has one span per node): the span of a
// rule's id, of each `on` type, of the output string, of each id a test or correlation names,
// of each test-event key. Front ends record them; the checker points its carets at them.
// A WeakMap keyed by the AST objects, so nothing changes in the AST contract and positions
// disappear with the AST.

import type { Span } from './ast.ts';

export type Details = Record<string, Span>;

const table = new WeakMap<object, Details>();

export function recordSpan(owner: object, key: string, span: Span | undefined): void {
  if (!span) return;
  let d = table.get(owner);
  if (!d) table.set(owner, (d = {}));
  // The first occurrence wins (e.g. an id named twice in one test).
  d[key] ??= span;
}

/** The recorded span of `key` on `owner`, else `fallback`. */
export function spanOf(owner: object, key: string, fallback?: Span): Span | undefined {
  return table.get(owner)?.[key] ?? fallback;
}

/** Extra information about a string token: how many characters precede its text (quote, r"). */
export function recordStringStart(owner: object, key: string, span: Span | undefined, prefix: number): void {
  if (!span) return;
  recordSpan(owner, key, span);
  recordSpan(owner, `${key}:text`, { ...span, col: span.col + prefix, offset: span.offset + prefix, endCol: span.col + prefix + 1, endOffset: span.offset + prefix + 1, endLine: span.line });
}

const broken = new WeakSet<object>();

/** Marks a declaration that had syntax errors: the checker skips its "never matches" style warnings (they are echoes of the syntax error). */
export function markBroken(owner: object): void {
  broken.add(owner);
}
export function isBroken(owner: object): boolean {
  return broken.has(owner);
}

const implicitHeader = new WeakSet<object>();

/** A policy whose file has no `policy` header (name from the file name): fmt adds none. */
export function markImplicitHeader(policy: object): void {
  implicitHeader.add(policy);
}
export function hasImplicitHeader(policy: object): boolean {
  return implicitHeader.has(policy);
}
