// Splits a stream of concatenated JSON values — pretty-printed objects one after another (the
// SigmaHQ regression exports, `evtx_dump -o json`), a top-level array of objects, or compact
// objects on one line — into one JSON text per record, without parsing twice: a small scanner
// tracks string/escape state and brace depth, and JSON.parse runs once on each complete value.
// Push-based (feed text pieces, then end()), so it works on gunzip streams and big files.

export interface JsonPiece {
  text: string;
  /** 1-based line and column where the value starts; 1-based ordinal of the value. */
  line: number;
  col: number;
  index: number;
}

export interface JsonJunk {
  /** Text that is not part of any value (reported once per run of junk). */
  line: number;
  col: number;
  message: string;
}

export class ConcatJsonSplitter {
  private buf = '';
  private pos = 0; // scan position in buf
  private start = -1; // start of the current value in buf, -1 outside a value
  private depth = 0;
  private inString = false;
  private escape = false;
  private inArray = false;
  private line = 1;
  private lineStart = 0; // absolute char offset of the current line's start
  private consumed = 0; // absolute char offset of buf[0]
  private startLine = 0;
  private startCol = 0;
  private count = 0;
  private junk = false;

  /** Feeds more text; returns the complete values found and any junk between them. */
  push(text: string, out: JsonPiece[], junk: JsonJunk[]): void {
    if (this.start < 0) {
      // Nothing pending: drop what was scanned.
      this.consumed += this.pos;
      this.buf = this.buf.slice(this.pos) + text;
      this.pos = 0;
    } else {
      this.consumed += this.start;
      this.buf = this.buf.slice(this.start) + text;
      this.pos -= this.start;
      this.start = 0;
    }
    this.scan(out, junk);
  }

  /** Call after the last push: reports a value left open (truncated input). */
  end(junk: JsonJunk[]): void {
    if (this.start >= 0) {
      junk.push({ line: this.startLine, col: this.startCol, message: 'the input ends inside a JSON value (truncated file?)' });
      this.start = -1;
    }
  }

  private scan(out: JsonPiece[], junk: JsonJunk[]): void {
    const s = this.buf;
    const n = s.length;
    let i = this.pos;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 10) { this.line++; this.lineStart = this.consumed + i + 1; }
      if (this.start < 0) {
        // Between values.
        if (c === 123 /* { */) {
          this.start = i;
          this.startLine = this.line;
          this.startCol = this.consumed + i - this.lineStart + 1;
          depth = 1;
          this.junk = false;
        } else if (c === 91 /* [ */ && !this.inArray && this.count === 0) {
          this.inArray = true;
        } else if (c === 93 /* ] */ && this.inArray) {
          this.inArray = false;
        } else if (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 44 /* , */ && c !== 0xfeff) {
          if (!this.junk) {
            junk.push({ line: this.line, col: this.consumed + i - this.lineStart + 1, message: `unexpected ${JSON.stringify(s[i])} between JSON objects; skipping to the next "{"` });
            this.junk = true;
          }
        }
        i++;
        continue;
      }
      if (inString) {
        if (escape) escape = false;
        else if (c === 92) escape = true;
        else if (c === 34) inString = false;
      } else if (c === 34) inString = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) {
          this.count++;
          out.push({ text: s.slice(this.start, i + 1), line: this.startLine, col: this.startCol, index: this.count });
          this.start = -1;
        }
      }
      i++;
    }
    this.pos = i;
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
  }
}
