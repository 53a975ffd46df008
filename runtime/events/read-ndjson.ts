// NDJSON event input for `luna eval` (files or stdin): one JSON object per line, flattened
// and classified. A malformed line becomes a Diagnostic with file:line:col and the stream
// goes on with the next line, so nothing else is lost.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LunaEvent } from '../../policy/ast.ts';
import { diag, type Diagnostic } from '../../policy/diagnostics.ts';
import { flattenRecord, toLunaEvent } from './classify.ts';
import { jsonErrorOffset } from './json-error.ts';

export type InputItem =
  | { kind: 'event'; event: LunaEvent; file: string; line: number }
  | { kind: 'error'; diagnostic: Diagnostic; file: string; line: number };

function spanAt(file: string, line: number, col: number, text: string) {
  return { file, line, col, endLine: line, endCol: Math.max(col + 1, text.length + 1), offset: 0, endOffset: 0 };
}

/** Parse one NDJSON line into an event or a diagnostic. */
export function parseEventLine(text: string, file: string, line: number): InputItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const col = Math.max(0, jsonErrorOffset(text)) + 1;
    return {
      kind: 'error',
      file,
      line,
      diagnostic: diag('LUN6101', 'error', `malformed JSON event: ${msg.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '')}`, { span: spanAt(file, line, col, text) }),
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return {
      kind: 'error',
      file,
      line,
      diagnostic: diag('LUN6102', 'error', `an event must be a JSON object, found ${what}`, { span: spanAt(file, line, 1, text) }),
    };
  }
  return { kind: 'event', event: toLunaEvent(flattenRecord(value)), file, line };
}

/** Every non-blank line of the inputs, in order ('-' or no paths: stdin). */
export async function* readEventLines(paths: string[]): AsyncGenerator<InputItem> {
  const inputs = paths.length ? paths : ['-'];
  for (const p of inputs) {
    const name = p === '-' ? '<stdin>' : p;
    const stream = p === '-' ? process.stdin : createReadStream(p);
    const opened = new Promise<void>((resolve, reject) => {
      if (p === '-') resolve();
      else {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      }
    });
    try {
      await opened;
    } catch (err) {
      yield {
        kind: 'error',
        file: name,
        line: 0,
        diagnostic: diag('LUN6103', 'error', `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: name }),
      };
      continue;
    }
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const raw of rl) {
        line++;
        const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
        if (!text.trim()) continue;
        yield parseEventLine(text, name, line);
      }
    } catch (err) {
      // e.g. EISDIR: the path opened but cannot be read as a file; go on with the next input.
      yield {
        kind: 'error',
        file: name,
        line: 0,
        diagnostic: diag('LUN6103', 'error', `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file: name }),
      };
    }
  }
}
