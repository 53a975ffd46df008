// Bytes → text for XML files, the way Sysmon reads its configuration: a BOM decides
// (UTF-8, UTF-16LE, UTF-16BE); without one, a zero second byte means UTF-16LE; otherwise the
// XML declaration's encoding (UTF-8 by default, ISO-8859-1/Latin-1, US-ASCII, Windows-1252).
// Invalid byte sequences are errors with a line number, never silently replaced.

import { diag, type Diagnostic } from '../../diagnostics.ts';

export interface DecodedText {
  text: string;
  /** 'utf-8' | 'utf-16le' | 'utf-16be' | 'iso-8859-1' | 'windows-1252' | 'us-ascii' */
  encoding: string;
  bom: boolean;
}

const LATIN1 = new Set(['iso-8859-1', 'iso8859-1', 'latin1', 'latin-1', 'l1', 'iso_8859-1', 'cp819', 'ibm819']);
const UTF8 = new Set(['utf-8', 'utf8']);
const UTF16 = new Set(['utf-16', 'utf16', 'utf-16le', 'utf-16be', 'ucs-2']);
const ASCII = new Set(['us-ascii', 'ascii']);
const CP1252 = new Set(['windows-1252', 'cp1252']);

/** Line (1-based) of a byte offset in an ASCII-compatible buffer, for encoding errors. */
function lineOfByte(bytes: Uint8Array, offset: number, unit = 1): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i += unit) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first invalid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array, start: number): number {
  let i = start;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n = 0;
    let min = 0;
    if (c >= 0xc2 && c <= 0xdf) (n = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (n = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (n = 3), (min = 0x10000);
    else return i;
    if (i + n > b.length - 1) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/** The encoding named by an XML declaration at the start of ASCII-compatible bytes. */
function declaredEncoding(b: Uint8Array, start: number): string | undefined {
  const head = Buffer.from(b.subarray(start, Math.min(b.length, start + 200))).toString('latin1');
  const m = /^\s*<\?xml[^?]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return m ? m[1].toLowerCase() : undefined;
}

export function decodeXmlBytes(bytes: Uint8Array, file: string): { decoded?: DecodedText; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fail = (message: string, line?: number, offset?: number) => {
    diagnostics.push(
      diag('LUN5303', 'error', message, {
        ...(line !== undefined
          ? { span: { file, line, col: 1, endLine: line, endCol: 2, offset: offset ?? 0, endOffset: (offset ?? 0) + 1 } }
          : { file }),
        suggestion: 'save the file as UTF-8 (with or without BOM), UTF-16, or declare its real encoding in <?xml encoding="..."?>',
      }),
    );
    return { diagnostics };
  };
  if (bytes.length === 0) return fail(`${file} is empty`);
  // UTF-16 with BOM, or without BOM detected the way Sysmon does (second byte zero).
  let utf16: 'le' | 'be' | undefined;
  let bom = false;
  let start = 0;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) (utf16 = 'le'), (bom = true), (start = 2);
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) (utf16 = 'be'), (bom = true), (start = 2);
  else if (bytes.length >= 2 && bytes[1] === 0x00 && bytes[0] !== 0x00) utf16 = 'le';
  else if (bytes.length >= 2 && bytes[0] === 0x00 && bytes[1] !== 0x00) utf16 = 'be';
  if (utf16) {
    const body = bytes.subarray(start);
    if (body.length % 2 !== 0) return fail(`${file}: UTF-16 text has an odd number of bytes (truncated file?)`);
    const swapped = utf16 === 'be' ? Buffer.from(body).swap16() : Buffer.from(body);
    const text = swapped.toString('utf16le');
    // Lone surrogates mean the bytes were not UTF-16.
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      } else if (!(c >= 0xdc00 && c <= 0xdfff)) continue;
      const line = text.slice(0, i).split('\n').length;
      return fail(`${file}: invalid UTF-16 (unpaired surrogate) at line ${line}`, line, i);
    }
    return { decoded: { text, encoding: utf16 === 'le' ? 'utf-16le' : 'utf-16be', bom }, diagnostics };
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) (bom = true), (start = 3);
  const declared = declaredEncoding(bytes, start);
  const enc = declared ?? 'utf-8';
  const body = Buffer.from(bytes.subarray(start));
  if (UTF8.has(enc) || (bom && !declared) || (UTF16.has(enc) && bom)) {
    const bad = firstInvalidUtf8(bytes, start);
    if (bad >= 0) {
      const line = lineOfByte(bytes, bad);
      return fail(
        `${file}: invalid UTF-8 byte 0x${bytes[bad].toString(16).padStart(2, '0')} at byte ${bad} (line ${line})`,
        line,
        bad,
      );
    }
    return { decoded: { text: body.toString('utf8'), encoding: 'utf-8', bom }, diagnostics };
  }
  // A UTF-8 BOM with another declared 8-bit encoding: Sysmon skips the BOM and parses with
  // the declared encoding (xml.cpp passes doc->encoding explicitly), so do the same.
  if (LATIN1.has(enc)) return { decoded: { text: body.toString('latin1'), encoding: 'iso-8859-1', bom }, diagnostics };
  if (CP1252.has(enc)) {
    return { decoded: { text: new TextDecoder('windows-1252').decode(body), encoding: 'windows-1252', bom }, diagnostics };
  }
  if (ASCII.has(enc)) {
    const bad = body.findIndex((c) => c >= 0x80);
    if (bad >= 0) {
      const line = lineOfByte(body, bad);
      return fail(`${file}: byte 0x${body[bad].toString(16)} at byte ${bad} (line ${line}) is not US-ASCII`, line, bad);
    }
    return { decoded: { text: body.toString('latin1'), encoding: 'us-ascii', bom }, diagnostics };
  }
  if (UTF16.has(enc)) return fail(`${file} declares encoding "${enc}" but has no UTF-16 byte layout`, 1, 0);
  return fail(`${file} declares an unsupported encoding "${enc}"`, 1, 0);
}

/**
 * Text that was already decoded as UTF-8 by a generic loader may be a mis-read UTF-16 or
 * Latin-1 file: such text holds NULs or U+FFFD, and the front end should re-read the bytes.
 */
export function looksMisdecoded(text: string): boolean {
  return text.includes('\u0000') || text.includes('\ufffd');
}
