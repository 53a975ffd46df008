// Multi-document Sigma YAML with source positions: each document as plain JS plus a way to
// find the line/column of a key path (for diagnostics that point into the rule file).

import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Document, type Node } from 'yaml';
import type { Span } from '../../ast.ts';

export interface SigmaDoc {
  index: number;
  data: unknown;
  /** Span of the node at a key path (the key itself for map entries), or the document start. */
  spanOf(path: (string | number)[]): Span;
  errors: { message: string; span: Span }[];
}

export function readYamlDocs(file: string, text: string): SigmaDoc[] {
  const lc = new LineCounter();
  // Sigma tooling reads YAML 1.1 (PyYAML); `yes`/`no` and friends keep their 1.1 meaning.
  const docs = parseAllDocuments(text, { lineCounter: lc, version: '1.1', uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const spanAt = (start: number, end: number): Span => {
    const a = lc.linePos(start);
    const b = lc.linePos(Math.max(start, end));
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: start, endOffset: end };
  };
  return list
    .map((doc, index) => {
      const d = doc as Document.Parsed;
      const errors = d.errors.map((e) => ({ message: e.message.split('\n')[0], span: spanAt(e.pos[0], e.pos[1]) }));
      const data = errors.length ? undefined : d.toJS({ maxAliasCount: 1000 });
      const docStart = d.contents?.range?.[0] ?? d.range?.[0] ?? 0;
      return {
        index,
        data,
        errors,
        spanOf(path: (string | number)[]): Span {
          let node: unknown = d.contents;
          let best: [number, number] = [docStart, docStart];
          for (const seg of path) {
            if (isMap(node)) {
              const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
              if (!pair) break;
              const k = pair.key as Node | undefined;
              if (k?.range) best = [k.range[0], k.range[1]];
              node = pair.value;
            } else if (isSeq(node) && typeof seg === 'number') {
              const it = node.items[seg] as Node | undefined;
              if (!it) break;
              if (it.range) best = [it.range[0], it.range[1]];
              node = it;
            } else break;
          }
          return spanAt(best[0], best[1]);
        },
      } satisfies SigmaDoc;
    })
    .filter((d) => d.errors.length > 0 || (d.data !== null && d.data !== undefined));
}
