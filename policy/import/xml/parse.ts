// A small, safe XML parser for configuration files (Sysmon). No DTDs, no external or
// custom entities (so no billion-laughs, no XXE): a DOCTYPE is refused with a diagnostic.
// Predefined entities and character references are decoded; comments, processing
// instructions and CDATA may appear anywhere. Every node keeps its source position.
// Errors stop the parse at the first problem (an XML document is either well formed or not).

import type { Span } from '../../ast.ts';
import { diag, type Diagnostic } from '../../diagnostics.ts';

export interface XmlAttr {
  name: string;
  value: string;
  span: Span;
}

export interface XmlElement {
  kind: 'element';
  name: string;
  attrs: XmlAttr[];
  children: XmlNode[];
  /** Span of the start tag. */
  span: Span;
}

export interface XmlText {
  kind: 'text';
  /** Decoded text (entities resolved, CDATA content verbatim). */
  value: string;
  cdata: boolean;
  span: Span;
}

export interface XmlComment {
  kind: 'comment';
  value: string;
  span: Span;
}

export type XmlNode = XmlElement | XmlText | XmlComment;

export interface XmlDocument {
  root: XmlElement;
  /** Comments and PIs before/after the root are dropped; the declaration is kept here. */
  declaration?: { version?: string; encoding?: string };
}

/** Nesting deeper than this is refused (stack safety on hostile input). */
export const MAX_XML_DEPTH = 256;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
// Name characters by code unit ([A-Za-z_:\u00C0-\uFFFF], then also [0-9.\-\u00B7]): a
// regex test per character cost more than the rest of parsing a Sysmon event.
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c >= 0xc0;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 0xb7;

class XmlError extends Error {
  readonly code: string;
  readonly at: number;
  readonly suggestion?: string;
  constructor(code: string, message: string, at: number, suggestion?: string) {
    // Caught inside this module and turned into a diagnostic: no stack trace is captured
    // (hunts over syslog-forwarded Sysmon XML meet a damaged record in nearly every line).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.at = at;
    this.suggestion = suggestion;
  }
}

/** Maps offsets to line/column; built once per text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  pos(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo] + 1 };
  }
  span(file: string, from: number, to: number): Span {
    const a = this.pos(from);
    const b = this.pos(Math.max(from, to));
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: from, endOffset: Math.max(from, to) };
  }
}

export function parseXml(text: string, file: string): { doc?: XmlDocument; diagnostics: Diagnostic[]; lines: LineIndex } {
  const lines = new LineIndex(text);
  try {
    const doc = new Parser(text, file, lines).document();
    return { doc, diagnostics: [], lines };
  } catch (err) {
    if (!(err instanceof XmlError)) throw err;
    const d = diag(err.code, 'error', err.message, {
      span: lines.span(file, err.at, Math.min(text.length, err.at + 1)),
      ...(err.suggestion ? { suggestion: err.suggestion } : {}),
    });
    return { diagnostics: [d], lines };
  }
}

class Parser {
  private i = 0;
  private readonly text: string;
  private readonly file: string;
  private readonly lines: LineIndex;
  constructor(text: string, file: string, lines: LineIndex) {
    this.text = text;
    this.file = file;
    this.lines = lines;
  }

  private err(message: string, at = this.i, code = 'LUN5301', suggestion?: string): never {
    throw new XmlError(code, message, at, suggestion);
  }

  private startsWith(s: string): boolean {
    return this.text.startsWith(s, this.i);
  }

  private skipWs(): void {
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  private describeHere(): string {
    if (this.i >= this.text.length) return 'end of file';
    return JSON.stringify(this.text.slice(this.i, this.i + 12));
  }

  document(): XmlDocument {
    let declaration: XmlDocument['declaration'];
    if (this.text.charCodeAt(0) === 0xfeff) this.i = 1;
    if (this.startsWith('<?xml') && /\s/.test(this.text[this.i + 5] ?? '')) {
      const end = this.text.indexOf('?>', this.i);
      if (end < 0) this.err('unterminated XML declaration');
      const body = this.text.slice(this.i + 5, end);
      declaration = {
        version: /version\s*=\s*["']([^"']*)["']/.exec(body)?.[1],
        encoding: /encoding\s*=\s*["']([^"']*)["']/.exec(body)?.[1],
      };
      this.i = end + 2;
    }
    this.misc();
    if (this.startsWith('<!DOCTYPE')) {
      this.err(
        'DOCTYPE declarations are not accepted (they enable entity expansion attacks such as "billion laughs" and external entities)',
        this.i,
        'LUN5302',
        'remove the <!DOCTYPE ...> block; Sysmon configurations do not need one',
      );
    }
    if (this.text[this.i] !== '<') this.err(`expected the root element, found ${this.describeHere()}`);
    const root = this.element(0);
    this.misc();
    if (this.startsWith('<!DOCTYPE')) this.err('DOCTYPE declarations are not accepted', this.i, 'LUN5302');
    if (this.i < this.text.length) this.err(`content after the root element </${root.name}>: ${this.describeHere()}`);
    return { root, declaration };
  }

  /** Whitespace, comments and PIs outside the root element. */
  private misc(): void {
    for (;;) {
      this.skipWs();
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<?')) this.pi();
      else return;
    }
  }

  private comment(): XmlComment {
    const start = this.i;
    const end = this.text.indexOf('-->', this.i + 4);
    if (end < 0) this.err('unterminated comment (missing -->)', start);
    const value = this.text.slice(start + 4, end);
    this.i = end + 3;
    return { kind: 'comment', value, span: this.lines.span(this.file, start, this.i) };
  }

  private pi(): void {
    const start = this.i;
    const end = this.text.indexOf('?>', this.i + 2);
    if (end < 0) this.err('unterminated processing instruction (missing ?>)', start);
    this.i = end + 2;
  }

  private name(): string {
    const start = this.i;
    if (!(this.i < this.text.length && isNameStart(this.text.charCodeAt(this.i)))) this.err(`expected a name, found ${this.describeHere()}`);
    this.i++;
    while (this.i < this.text.length && isNameChar(this.text.charCodeAt(this.i))) this.i++;
    return this.text.slice(start, this.i);
  }

  private element(depth: number): XmlElement {
    if (depth >= MAX_XML_DEPTH) this.err(`elements nested deeper than ${MAX_XML_DEPTH} levels`, this.i, 'LUN5305');
    const start = this.i;
    this.i++; // <
    const name = this.name();
    const attrs: XmlAttr[] = [];
    for (;;) {
      const before = this.i;
      this.skipWs();
      if (this.startsWith('/>')) {
        this.i += 2;
        return { kind: 'element', name, attrs, children: [], span: this.lines.span(this.file, start, this.i) };
      }
      if (this.text[this.i] === '>') {
        this.i++;
        break;
      }
      if (this.i >= this.text.length) this.err(`unterminated start tag <${name}`, start);
      if (before === this.i) this.err(`expected whitespace, '>' or '/>' in <${name}>, found ${this.describeHere()}`);
      const aStart = this.i;
      const aName = this.name();
      this.skipWs();
      if (this.text[this.i] !== '=') this.err(`attribute ${aName} of <${name}> needs ="value"`);
      this.i++;
      this.skipWs();
      const q = this.text[this.i];
      if (q !== '"' && q !== "'") this.err(`attribute ${aName} of <${name}>: value must be quoted`);
      const vStart = this.i + 1;
      const vEnd = this.text.indexOf(q, vStart);
      if (vEnd < 0) this.err(`unterminated value of attribute ${aName}`, aStart);
      const raw = this.text.slice(vStart, vEnd);
      const lt = raw.indexOf('<');
      if (lt >= 0) this.err(`'<' is not allowed in attribute values (write &lt;)`, vStart + lt);
      if (attrs.some((a) => a.name === aName)) this.err(`duplicate attribute ${aName} on <${name}>`, aStart);
      // Attribute value normalisation: literal whitespace characters become spaces, while
      // characters written as references (&#13;) are kept (XML 1.0 §3.3.3).
      const value = this.decodeEntities(raw, vStart, (lit) => lit.replace(/\r\n|[\t\n\r]/g, ' '));
      this.i = vEnd + 1;
      attrs.push({ name: aName, value, span: this.lines.span(this.file, aStart, this.i) });
    }
    const el: XmlElement = { kind: 'element', name, attrs, children: [], span: this.lines.span(this.file, start, this.i) };
    for (;;) {
      if (this.i >= this.text.length) this.err(`<${name}> is never closed`, start, 'LUN5301', `add </${name}>`);
      if (this.startsWith('</')) {
        const closeAt = this.i;
        this.i += 2;
        const closeName = this.name();
        this.skipWs();
        if (this.text[this.i] !== '>') this.err(`expected '>' to end </${closeName}`);
        this.i++;
        if (closeName !== name) {
          this.err(
            `closing tag </${closeName}> does not match <${name}> opened at line ${el.span.line}`,
            closeAt,
            'LUN5301',
            `close <${name}> first`,
          );
        }
        return el;
      }
      if (this.startsWith('<!--')) {
        el.children.push(this.comment());
      } else if (this.startsWith('<![CDATA[')) {
        const cStart = this.i;
        const end = this.text.indexOf(']]>', this.i + 9);
        if (end < 0) this.err('unterminated CDATA section', cStart);
        el.children.push({
          kind: 'text',
          value: this.text.slice(cStart + 9, end),
          cdata: true,
          span: this.lines.span(this.file, cStart, end + 3),
        });
        this.i = end + 3;
      } else if (this.startsWith('<!')) {
        if (this.startsWith('<!DOCTYPE') || this.startsWith('<!ENTITY')) {
          this.err('DTD declarations are not accepted', this.i, 'LUN5302');
        }
        this.err(`unexpected markup ${this.describeHere()}`);
      } else if (this.startsWith('<?')) {
        this.pi();
      } else if (this.text[this.i] === '<') {
        el.children.push(this.element(depth + 1));
      } else {
        const tStart = this.i;
        let end = this.text.indexOf('<', this.i);
        if (end < 0) end = this.text.length;
        const raw = this.text.slice(tStart, end);
        const gt = raw.indexOf(']]>');
        if (gt >= 0) this.err("']]>' is not allowed in text", tStart + gt);
        el.children.push({
          kind: 'text',
          value: this.decodeEntities(raw, tStart),
          cdata: false,
          span: this.lines.span(this.file, tStart, end),
        });
        this.i = end;
      }
    }
  }

  /**
   * Decodes references; `literal` normalises the text written literally (line ends, §2.11),
   * so that a character written as a reference such as &#13; survives as written.
   */
  private decodeEntities(raw: string, base: number, literal: (s: string) => string = normaliseLineEnds): string {
    if (!raw.includes('&')) return literal(raw);
    let out = '';
    let k = 0;
    while (k < raw.length) {
      const amp = raw.indexOf('&', k);
      if (amp < 0) {
        out += literal(raw.slice(k));
        break;
      }
      out += literal(raw.slice(k, amp));
      const semi = raw.indexOf(';', amp);
      if (semi < 0 || semi - amp > 12) this.err(`'&' must start an entity such as &amp;`, base + amp);
      const ent = raw.slice(amp + 1, semi);
      if (ent.startsWith('#')) {
        const hex = ent[1] === 'x' || ent[1] === 'X';
        const digits = hex ? ent.slice(2) : ent.slice(1);
        const ok = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
        const cp = ok ? parseInt(digits, hex ? 16 : 10) : NaN;
        const legal =
          cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
        if (!ok || !legal) this.err(`invalid character reference &${ent};`, base + amp);
        out += String.fromCodePoint(cp);
      } else if (Object.hasOwn(PREDEFINED, ent)) {
        out += PREDEFINED[ent];
      } else {
        this.err(
          `unknown entity &${ent}; (only &lt; &gt; &amp; &quot; &apos; and character references are defined)`,
          base + amp,
          'LUN5304',
          `write &amp;${ent}; for a literal '&'`,
        );
      }
      k = semi + 1;
    }
    return out;
  }
}

function normaliseLineEnds(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

/** Concatenated text of an element's text/CDATA children (comments skipped), like libxml2. */
export function textOf(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.value;
  return s;
}

export function attr(el: XmlElement, name: string): XmlAttr | undefined {
  return el.attrs.find((a) => a.name === name);
}

export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element');
}
