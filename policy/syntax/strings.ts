// Decoding of string, number, regex and duration tokens (shared by the .luna parser and the
// formatter's round-trip tests). Errors come back as messages, never exceptions.

export interface Decoded<T> {
  value: T;
  /** Problems found, with the 0-based offset inside the token image. */
  errors: { message: string; at: number; suggestion?: string }[];
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', "'": "'", '\\': '\\', '0': '\0', '/': '/' };

/** A double-quoted string with escapes: \n \t \r \" \\ \0 \/ \xHH \uHHHH \u{H…}. */
export function decodeDoubleQuoted(image: string): Decoded<string> {
  const errors: Decoded<string>['errors'] = [];
  let out = '';
  const body = image.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[i + 1];
    if (n !== undefined && Object.hasOwn(SIMPLE_ESCAPES, n)) {
      out += SIMPLE_ESCAPES[n];
      i++;
    } else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (n === 'u' && body[i + 2] === '{') {
      const end = body.indexOf('}', i + 3);
      const hex = end < 0 ? '' : body.slice(i + 3, end);
      const cp = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(cp) || cp > 0x10ffff) {
        errors.push({ message: 'invalid \\u{…} escape', at: i + 1 });
        i++;
      } else {
        out += String.fromCodePoint(cp);
        i = end;
      }
    } else if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(body.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      errors.push({
        message: `unknown escape sequence \\${n ?? ''} in a double-quoted string`,
        at: i + 1,
        suggestion: `for Windows paths and other backslash-heavy text use a raw string: '…' or r"…" (no escapes), or write \\\\`,
      });
      out += n ?? '';
      i++;
    }
  }
  return { value: out, errors };
}

export function decodeStringToken(tokenName: string, image: string): Decoded<string> {
  if (tokenName === 'RawString') return { value: image.slice(2, -1), errors: [] };
  if (tokenName === 'SString') return { value: image.slice(1, -1).replaceAll("''", "'"), errors: [] };
  return decodeDoubleQuoted(image);
}

export function decodeNumber(image: string): number {
  const neg = image.startsWith('-');
  const body = neg ? image.slice(1) : image;
  const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : Number(body);
  return neg ? -v : v;
}

/** `/body/flags` → pattern (with `\/` unescaped to `/`, the same regex) and flags. */
export function decodeRegex(image: string): { pattern: string; flags: string } {
  const last = image.lastIndexOf('/');
  const body = image.slice(1, last);
  let pattern = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && i + 1 < body.length) {
      pattern += body[i + 1] === '/' ? '/' : body[i] + body[i + 1];
      i++;
    } else pattern += body[i];
  }
  return { pattern, flags: image.slice(last + 1) };
}

/** A regex pattern as a `/…/` literal body: `/` not already escaped becomes `\/`. */
export function encodeRegexBody(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      out += c + pattern[i + 1];
      i++;
    } else if (c === '/') out += '\\/';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else out += c;
  }
  return out;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function decodeDuration(image: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(image);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : Number(image);
}

export function encodeDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) return String(ms);
  for (const u of ['w', 'd', 'h', 'm', 's'] as const) if (ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  return `${ms}ms`;
}
