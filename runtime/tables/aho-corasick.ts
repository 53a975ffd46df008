// One Aho-Corasick automaton per (event type, field) over case-folded text: a single pass
// finds every contains/startswith/endswith pattern and regex prefilter literal. Transitions
// are a dense DFA over the patterns' own alphabet (other characters go to column 0), so the
// inner loop is two array reads per character.

export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  private readonly ascii: Uint16Array; // ASCII char code → column (0 = not in any pattern)
  private readonly wide: Map<number, number>; // other UTF-16 code units → column
  private readonly width: number;
  private readonly delta: Int32Array; // state * width + column → next state
  private readonly outStart: Int32Array;
  private readonly outList: Int32Array; // pattern ids (all outputs incl. via suffix links)
  private readonly lengths: Int32Array;

  constructor(patterns: readonly string[]) {
    this.patternCount = patterns.length;
    this.lengths = Int32Array.from(patterns, (p) => p.length);
    this.ascii = new Uint16Array(128);
    this.wide = new Map();
    let cols = 1;
    for (const p of patterns) for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 128) {
        if (this.ascii[c] === 0) this.ascii[c] = cols++;
      } else if (!this.wide.has(c)) this.wide.set(c, cols++);
    }
    this.width = cols;
    // Trie with Map children first.
    const kids: Map<number, number>[] = [new Map()];
    const own: number[][] = [[]];
    patterns.forEach((p, pid) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const code = p.charCodeAt(i);
        const col = code < 128 ? this.ascii[code] : this.wide.get(code)!;
        let n = kids[s].get(col);
        if (n === undefined) {
          n = kids.length;
          kids.push(new Map());
          own.push([]);
          kids[s].set(col, n);
        }
        s = n;
      }
      own[s].push(pid);
    });
    const n = kids.length;
    this.stateCount = n;
    const fail = new Int32Array(n);
    const delta = new Int32Array(n * cols);
    const outs: number[][] = new Array(n);
    outs[0] = own[0];
    const queue: number[] = [];
    for (let c = 0; c < cols; c++) {
      const t = kids[0].get(c);
      if (t !== undefined) {
        delta[c] = t;
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      outs[s] = own[s].length ? [...own[s], ...outs[fail[s]]] : outs[fail[s]];
      for (let c = 0; c < cols; c++) {
        const t = kids[s].get(c);
        if (t !== undefined) {
          fail[t] = delta[fail[s] * cols + c];
          delta[s * cols + c] = t;
          queue.push(t);
        } else {
          delta[s * cols + c] = delta[fail[s] * cols + c];
        }
      }
    }
    // Pre-multiply targets (row offsets) and mark states with outputs by a negative sign, so
    // the search loop is one table read and one sign test per character.
    for (let i = 0; i < delta.length; i++) {
      const t = delta[i];
      delta[i] = outs[t].length ? -(t * cols) - 1 : t * cols;
    }
    this.delta = delta;
    this.outStart = new Int32Array(n + 1);
    let total = 0;
    for (let s = 0; s < n; s++) {
      this.outStart[s] = total;
      total += outs[s].length;
    }
    this.outStart[n] = total;
    this.outList = new Int32Array(total);
    for (let s = 0; s < n; s++) this.outList.set(outs[s], this.outStart[s]);
  }

  /** Calls hit(patternId, start, end) for every occurrence (end exclusive). */
  search(text: string, hit: (pattern: number, start: number, end: number) => void): void {
    const { ascii, wide, delta, outStart, outList, lengths, width } = this;
    const hasWide = wide.size > 0;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      s = delta[s + (c < 128 ? ascii[c] : hasWide ? (wide.get(c) ?? 0) : 0)];
      if (s < 0) {
        s = -s - 1;
        const st = s / width;
        const b = outStart[st + 1];
        for (let k = outStart[st]; k < b; k++) {
          const p = outList[k];
          hit(p, i + 1 - lengths[p], i + 1);
        }
      }
    }
  }
}
