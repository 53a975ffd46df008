// One Aho-Corasick automaton per (event type, field) over case-folded text: a single pass
// finds every contains/startswith/endswith pattern and regex prefilter literal.
// States are numbered in breadth-first order. The shallow states (where a scan spends most
// of its time) get complete DFA rows over the patterns' own alphabet (other characters are
// column 0): one array read per character. Deeper states keep only their explicit children
// and fall back along failure links to a dense state — so memory stays bounded (at most 8 MB
// per automaton) even for thousands of long Sigma patterns.

const DENSE_CELLS = 1 << 21;

export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  /** States below this id have dense rows. */
  readonly denseStates: number;
  private readonly ascii: Uint16Array; // ASCII char code → column (0 = not in any pattern)
  private readonly asciiFolded: Uint16Array; // the same with A-Z read as a-z (searchAsciiFolded)
  private readonly wide: Map<number, number>; // other UTF-16 code units → column
  private readonly width: number;
  /** Dense rows (state < denseStates): row offset + column → next state, encoded as
   *  (offset of its row << 1 | has-output) for a dense target, -(state + 1) for a deep one. */
  private readonly dense: Int32Array;
  private readonly childStart: Int32Array; // sparse children of deep states (CSR)
  private readonly childCol: Int32Array;
  private readonly childNext: Int32Array;
  private readonly fail: Int32Array;
  private readonly hasOut: Uint8Array;
  private readonly outStart: Int32Array;
  private readonly outList: Int32Array; // pattern ids (all outputs incl. via suffix links)
  private readonly lengths: Int32Array;

  constructor(patterns: readonly string[], denseCells = DENSE_CELLS) {
    this.patternCount = patterns.length;
    this.lengths = Int32Array.from(patterns, (p) => p.length);
    this.ascii = new Uint16Array(128);
    this.wide = new Map();
    // 1. Alphabet: one column per distinct code unit in the patterns (0 = anything else).
    let cols = 1;
    for (const p of patterns) for (let i = 0; i < p.length; i++) {
      const code = p.charCodeAt(i);
      if (code < 128) {
        if (this.ascii[code] === 0) this.ascii[code] = cols++;
      } else if (!this.wide.has(code)) this.wide.set(code, cols++);
    }
    this.asciiFolded = this.ascii.slice();
    for (let c = 65; c <= 90; c++) this.asciiFolded[c] = this.ascii[c + 32];
    const colOf = (code: number): number => (code < 128 ? this.ascii[code] : this.wide.get(code)!);
    this.width = cols;
    // 2. Trie in flat arrays: one edge map keyed by state * cols + col, children as lists.
    const edge = new Map<number, number>();
    const firstChild: number[] = [-1];
    const nextSib: number[] = [-1];
    const edgeCol: number[] = [0];
    const ownHead: number[] = [-1];
    const ownNext: number[] = [];
    patterns.forEach((p, pid) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const col = colOf(p.charCodeAt(i));
        const key = s * cols + col;
        let t = edge.get(key);
        if (t === undefined) {
          t = firstChild.length;
          firstChild.push(-1);
          nextSib.push(firstChild[s]);
          edgeCol.push(col);
          ownHead.push(-1);
          firstChild[s] = t;
          edge.set(key, t);
        }
        s = t;
      }
      ownNext[pid] = ownHead[s];
      ownHead[s] = pid;
    });
    const n = firstChild.length;
    this.stateCount = n;
    const own = (s: number): number[] => {
      const out: number[] = [];
      for (let p = ownHead[s]; p >= 0; p = ownNext[p]) out.push(p);
      return out.reverse();
    };
    // 3. Breadth-first renumbering and failure links (classic construction).
    const order: number[] = [0];
    const newId = new Int32Array(n);
    const failOld = new Int32Array(n);
    for (let qi = 0; qi < order.length; qi++) {
      const s = order[qi];
      for (let t = firstChild[s]; t >= 0; t = nextSib[t]) {
        newId[t] = order.length;
        order.push(t);
        if (s === 0) continue;
        const col = edgeCol[t];
        let f = failOld[s];
        while (f !== 0 && !edge.has(f * cols + col)) f = failOld[f];
        failOld[t] = edge.get(f * cols + col) ?? 0;
      }
    }
    this.fail = new Int32Array(n);
    const outs: number[][] = new Array(n);
    for (let i = 0; i < n; i++) {
      const old = order[i];
      const f = newId[failOld[old]];
      this.fail[i] = i === 0 ? 0 : f;
      if (ownHead[old] < 0) outs[i] = i === 0 ? [] : outs[f];
      else {
        const mine = own(old);
        outs[i] = i === 0 ? mine : outs[f].length ? [...mine, ...outs[f]] : mine;
      }
    }
    // 3. Dense rows for the shallowest states; CSR children for the rest.
    const D = Math.min(n, Math.max(1, Math.floor(denseCells / cols)));
    this.denseStates = D;
    const dense = new Int32Array(D * cols);
    for (let i = 0; i < D; i++) {
      if (i > 0) dense.copyWithin(i * cols, this.fail[i] * cols, this.fail[i] * cols + cols); // fail[i] < i
      for (let c = firstChild[order[i]]; c >= 0; c = nextSib[c]) dense[i * cols + edgeCol[c]] = newId[c];
    }
    const hasOut = Uint8Array.from(outs, (o) => (o.length ? 1 : 0));
    for (let k = 0; k < dense.length; k++) {
      const t = dense[k];
      dense[k] = t < D ? ((t * cols) << 1) | hasOut[t] : -(t + 1);
    }
    this.dense = dense;
    this.childStart = new Int32Array(n + 1);
    const cc: number[] = [];
    const cn: number[] = [];
    for (let i = 0; i < n; i++) {
      this.childStart[i] = cc.length;
      if (i >= D) for (let c = firstChild[order[i]]; c >= 0; c = nextSib[c]) {
        cc.push(edgeCol[c]);
        cn.push(newId[c]);
      }
    }
    this.childStart[n] = cc.length;
    this.childCol = Int32Array.from(cc);
    this.childNext = Int32Array.from(cn);
    this.hasOut = hasOut;
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
    this.scan(text, hit, this.ascii, false);
  }

  /** Search text.toLowerCase() without building it: A-Z read as a-z. Stops at the first
   *  non-ASCII character and returns false (hits so far are valid; the caller then searches
   *  the lowercased text). Returns true when the whole text was ASCII and searched. */
  searchAsciiFolded(text: string, hit: (pattern: number, start: number, end: number) => void): boolean {
    return this.scan(text, hit, this.asciiFolded, true);
  }

  private scan(text: string, hit: (pattern: number, start: number, end: number) => void, ascii: Uint16Array, asciiOnly: boolean): boolean {
    const { wide, dense, width, hasOut, outStart, outList, lengths, denseStates } = this;
    const hasWide = wide.size > 0;
    const n = text.length;
    let off = 0; // row offset of the current (dense) state
    let i = 0;
    while (i < n) {
      // Hot loop: dense states without output, one array read per character.
      let v = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 128 && asciiOnly) return false;
        v = dense[off + (c < 128 ? ascii[c] : hasWide ? (wide.get(c) ?? 0) : 0)];
        if (v < 0 || (v & 1) !== 0) break;
        off = v >> 1;
      }
      if (i >= n) break;
      let st: number;
      if (v >= 0) {
        off = v >> 1;
        st = off / width;
      } else {
        // Deep (sparse) states: step until back in a dense one.
        st = -v - 1;
        for (;;) {
          if (hasOut[st] !== 0) this.emit(st, i, hit);
          if (++i >= n) return true;
          const c = text.charCodeAt(i);
          if (c >= 128 && asciiOnly) return false;
          st = this.deepStep(st, c < 128 ? ascii[c] : hasWide ? (wide.get(c) ?? 0) : 0);
          if (st < denseStates) break;
        }
        off = st * width;
        if (hasOut[st] === 0) {
          i++;
          continue;
        }
      }
      const b = outStart[st + 1];
      for (let k = outStart[st]; k < b; k++) {
        const p = outList[k];
        hit(p, i + 1 - lengths[p], i + 1);
      }
      i++;
    }
    return true;
  }

  private emit(st: number, i: number, hit: (pattern: number, start: number, end: number) => void): void {
    const { outStart, outList, lengths } = this;
    const b = outStart[st + 1];
    for (let k = outStart[st]; k < b; k++) {
      const p = outList[k];
      hit(p, i + 1 - lengths[p], i + 1);
    }
  }

  /** Transition from a deep (sparse) state: explicit child, else along failure links. */
  private deepStep(from: number, col: number): number {
    const { childStart, childCol, childNext, fail, dense, width, denseStates } = this;
    let s = from;
    while (s >= denseStates) {
      for (let k = childStart[s], e = childStart[s + 1]; k < e; k++) if (childCol[k] === col) return childNext[k];
      s = fail[s];
    }
    const v = dense[s * width + col];
    return v >= 0 ? (v >> 1) / width : -v - 1;
  }
}
