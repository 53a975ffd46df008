// YAML files checked against a JSON Schema, with every problem reported at file:line:col.
// The diagnostic shape is structurally the project's Diagnostic (policy/diagnostics.ts);
// it is restated here because scanner/ imports only schemas/.

import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node } from 'yaml';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export interface SourceSpan {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

export interface ScanDiagnostic {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  span?: SourceSpan;
  file?: string;
  suggestion?: string;
}

export interface YamlSource<T> {
  data: T | null;
  diagnostics: ScanDiagnostic[];
  /** Span of the node at a JSON path (for checks after schema validation). */
  spanAt(path: (string | number)[], preferKey?: boolean): SourceSpan | undefined;
}

const validators = new WeakMap<object, ValidateFunction>();
export function compileSchema(schema: object): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

function spanOf(doc: Document, lc: LineCounter, file: string, path: (string | number)[], preferKey = false): SourceSpan | undefined {
  // Walk as deep as the path exists, so a missing key points at its parent.
  let node: Node | null | undefined = doc.contents as Node | null;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value as Node;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      keyNode = undefined;
    } else break;
  }
  const range = ((preferKey ? keyNode?.range : undefined) ?? node?.range ?? keyNode?.range) as [number, number, number] | undefined;
  if (!range) return undefined;
  const a = lc.linePos(range[0]);
  const b = lc.linePos(Math.max(range[0], range[1]));
  return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: range[0], endOffset: range[1] };
}

function pathOf(e: ErrorObject): (string | number)[] {
  const parts = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || '(top level)';
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}' in ${where}`;
    case 'required':
      return `${where} is missing required key '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'enum':
      return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

export function loadYamlSource<T>(file: string, text: string, schema: object, code: { syntax: string; schema: string }, knownKeys?: (path: (string | number)[]) => string[]): YamlSource<T> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const diagnostics: ScanDiagnostic[] = [];
  const spanAt = (path: (string | number)[], preferKey = false) => spanOf(doc, lc, file, path, preferKey);
  for (const err of doc.errors) {
    const a = lc.linePos(err.pos[0]);
    const b = lc.linePos(err.pos[1]);
    diagnostics.push({
      code: code.syntax,
      severity: 'error',
      message: `YAML: ${err.message.split('\n')[0]}`,
      span: { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: err.pos[0], endOffset: err.pos[1] },
    });
  }
  if (diagnostics.length) return { data: null, diagnostics, spanAt };
  const data = doc.toJS() as T;
  const validate = compileSchema(schema);
  if (!validate(data)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      // oneOf/anyOf summaries repeat their branches' errors; keep the specific ones.
      if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
      const path = pathOf(e);
      const msg = describe(e);
      if (seen.has(msg)) continue;
      seen.add(msg);
      const d: ScanDiagnostic = { code: code.schema, severity: 'error', message: msg, span: spanAt(path), file };
      if (e.keyword === 'additionalProperties' && knownKeys) {
        const bad = (e.params as { additionalProperty: string }).additionalProperty;
        const near = closest(bad, knownKeys(path));
        if (near) d.suggestion = `did you mean '${near}'?`;
        d.span = spanAt([...path, bad], true) ?? d.span;
      }
      diagnostics.push(d);
    }
    return { data: null, diagnostics, spanAt };
  }
  return { data, diagnostics, spanAt };
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
