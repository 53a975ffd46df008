// Diagnostic excerpts: a large file (a log) is not read whole for them — only the lines the
// diagnostics point at, in one pass, each cut to 4 KiB — and a long line is shown around the
// column, the caret under the character the diagnostic names.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { excerptLines } from '../../../runtime/cli/excerpts.ts';
import { formatDiagnostic, type Diagnostic } from '../../../policy/diagnostics.ts';

const dir = mkdtempSync(join(tmpdir(), 'luna-excerpts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (file: string, line: number, col = 1): Diagnostic => ({ code: 'LUN6610', severity: 'warning', message: 'm', span: { file, line, col, endLine: line, endCol: col + 1, offset: 0, endOffset: 1 } });

describe('diagnostic excerpts', () => {
  it('fetches the wanted lines of a large file, across block boundaries and CRLF, cut to 4 KiB', () => {
    // 7 MB of lines of varied lengths: some cross the reader's 1 MiB blocks, one is 9 KB long.
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 7_000_000; i++) {
      const l = i === 3000 ? `{"big":"${'y'.repeat(9000)}"}` : `{"n":${i},"pad":"${'x'.repeat((i * 7919) % 900)}"}`;
      lines.push(l);
      size += l.length + 2;
    }
    const file = join(dir, 'big.ndjson');
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    // Lines that end or start right at a block boundary are among the wanted ones.
    const boundary: number[] = [];
    let off = 0;
    for (let i = 0; i < lines.length; i++) {
      const next = off + lines[i].length + 2;
      if (Math.floor(off / (1 << 20)) !== Math.floor((next - 1) / (1 << 20))) boundary.push(i + 1);
      off = next;
    }
    expect(boundary.length).toBeGreaterThanOrEqual(5);
    const wanted = [1, 2, 3001, lines.length, ...boundary];
    const get = excerptLines(wanted.map((l) => at(file, l)));
    for (const l of wanted) expect(get(file, l)).toBe(lines[l - 1].slice(0, 4096));
    expect(get(file, 3001)).toHaveLength(4096); // the 9 KB line, cut
    expect(get(file, 5)).toBeUndefined(); // not asked for: not kept
    expect(get(join(dir, 'missing.ndjson'), 1)).toBeUndefined();
  });

  it('shows a long line around the column, the caret under the named character (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 600, unit: fc.constantFrom('a', 'b', '\t', '{', '"', ' ', 'é') }), fc.string({ minLength: 161, maxLength: 2000 })), fc.nat(), (line, c) => {
        const col = (c % line.length) + 1;
        const text = formatDiagnostic(at('f', 1, col), line);
        const [, shown, caret] = text.split('\n');
        const body = shown.slice('   1 | '.length);
        const mark = caret.slice('     | '.length);
        expect(body.length).toBeLessThanOrEqual(162); // 160 and two ellipses
        if (line.length <= 160) expect(body).toBe(line);
        else expect(line.includes(body.replace(/^…/, '').replace(/…$/, ''))).toBe(true);
        expect(body[mark.indexOf('^')]).toBe(line[col - 1]);
      }),
      { numRuns: 500, seed: 8 },
    );
  });
});
