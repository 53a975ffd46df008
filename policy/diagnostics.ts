// Diagnostics are values, not exceptions: every front end and the compiler return a list of
// them so that users see all problems in one pass. Codes are stable (documented in
// docs/diagnostics.md); messages may improve over time, codes may not change meaning.

import type { Span } from './ast.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Stable code, e.g. 'LUN1001'. Prefixes: LUN1xxx lexing/parsing, LUN2xxx names and types,
   *  LUN3xxx rule analysis, LUN4xxx bundles, LUN5xxx importers, LUN6xxx logs/events, LUN7xxx
   *  scanner, LUN8xxx agent/driver, LUN9xxx reporting/configuration. */
  code: string;
  severity: Severity;
  message: string;
  /** Where; for binary inputs (EVTX, bundles) use `file` plus `record`/`offset`. */
  span?: Span;
  file?: string;
  record?: number;
  offset?: number;
  /** A concrete fix, e.g. "did you mean CommandLine?". */
  suggestion?: string;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** An error carrying diagnostics across layers that cannot return them (streams, workers). */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n'));
    this.name = 'DiagnosticError';
    this.diagnostics = diagnostics;
  }
}

export function diag(
  code: string,
  severity: Severity,
  message: string,
  where: Partial<Pick<Diagnostic, 'span' | 'file' | 'record' | 'offset' | 'suggestion'>> = {},
): Diagnostic {
  return { code, severity, message, ...where };
}

/** "file:line:col" (or "file#record" / "file@offset") for a diagnostic's location. */
export function location(d: Diagnostic): string {
  if (d.span) return `${d.span.file}:${d.span.line}:${d.span.col}`;
  const file = d.file ?? '<input>';
  if (d.record !== undefined) return `${file}#record ${d.record}`;
  if (d.offset !== undefined) return `${file}@${d.offset}`;
  return file;
}

/**
 * Human rendering: `file:line:col: error LUN2001: message`, the source line, a caret under
 * the span, and the suggestion. `source` is the text of `d.span.file` when available.
 */
export function formatDiagnostic(d: Diagnostic, source?: string | ((line: number) => string | undefined)): string {
  const where = d.span || d.file ? `${location(d)}: ` : '';
  const out = [`${where}${d.severity} ${d.code}: ${d.message}`];
  if (d.span && source !== undefined) {
    const full = typeof source === 'string' ? source.split(/\r?\n/)[d.span.line - 1] : source(d.span.line);
    if (full !== undefined) {
      const gutter = String(d.span.line).padStart(4);
      const { text: lineText, col } = around(full, d.span.col);
      const width = d.span.endLine === d.span.line ? Math.max(1, Math.min(d.span.endCol - d.span.col, lineText.length - col + 1)) : 1;
      out.push(`${gutter} | ${lineText}`);
      // Keep tabs under tabs so the caret lines up however the terminal expands them.
      const pad = lineText.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
      out.push(`${' '.repeat(gutter.length)} | ${pad}${'^'.repeat(width)}`);
    }
  }
  if (d.suggestion) out.push(`  = help: ${d.suggestion}`);
  return out.join('\n');
}

/** Lines longer than this (a log's JSON event) are shown around the column only. */
const EXCERPT_WIDTH = 160;

/** The part of a long line around `col`, with the column it then has. */
function around(line: string, col: number): { text: string; col: number } {
  if (line.length <= EXCERPT_WIDTH) return { text: line, col };
  const start = Math.max(0, Math.min(col - 1 - 50, line.length - EXCERPT_WIDTH)); // 50 characters before the column
  const end = start + EXCERPT_WIDTH;
  const head = start > 0 ? '…' : '';
  return { text: head + line.slice(start, end) + (end < line.length ? '…' : ''), col: col - start + head.length };
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagPrev = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diagPrev + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagPrev = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate within a distance proportional to the word's length, if any. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

/**
 * Reading order: by file (in the given order, unknown files last), then by position; ties
 * keep their original order. Used by `luna check` and the golden-file tests.
 */
export function sortDiagnostics(diags: readonly Diagnostic[], fileOrder: readonly string[] = []): Diagnostic[] {
  const order = new Map(fileOrder.map((f, i) => [f, i]));
  const fileRank = (d: Diagnostic) => order.get(d.span?.file ?? d.file ?? '') ?? fileOrder.length;
  return diags
    .map((d, i) => ({ d, i }))
    .sort((a, b) => fileRank(a.d) - fileRank(b.d) || (a.d.span?.offset ?? -1) - (b.d.span?.offset ?? -1) || a.i - b.i)
    .map((x) => x.d);
}
