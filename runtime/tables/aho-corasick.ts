// One Aho-Corasick automaton per (event type, field) over case-folded text: a single pass
// finds every occurrence of every pattern (the matcher's `contains` patterns and regex
// prefilter literals; startswith / endswith are walked in anchored-trie.ts).
// States are numbered in breadth-first order. The shallow states (where a scan spends most
// of its time) get complete DFA rows over the patterns' own alphabet (other characters are
// column 0): one array read per character. Deeper states keep only their explicit children
// and fall back along failure links to a dense state — so memory and build time stay bounded
// (at most 256 KB of dense rows per automaton) even for thousands of long Sigma patterns.

const DENSE_CELLS = 1 << 16;

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
    const np = patterns.length;
    this.patternCount = np;
    this.lengths = new Int32Array(np);
    this.ascii = new Uint16Array(128);
    this.wide = new Map();
    // 1. Alphabet: one column per distinct code unit in the patterns (0 = anything else).
    let cols = 1;
    let total = 1;
    let maxLen = 0;
    for (let pid = 0; pid < np; pid++) {
      const p = patterns[pid];
      this.lengths[pid] = p.length;
      total += p.length;
      if (p.length > maxLen) maxLen = p.length;
      for (let i = 0; i < p.length; i++) {
        const code = p.charCodeAt(i);
        if (code < 128) {
          if (this.ascii[code] === 0) this.ascii[code] = cols++;
        } else if (!this.wide.has(code)) this.wide.set(code, cols++);
      }
    }
    this.asciiFolded = this.ascii.slice();
    for (let c = 65; c <= 90; c++) this.asciiFolded[c] = this.ascii[c + 32];
    this.width = cols;
    // 2. Trie: the patterns in code-unit order, so that each shares its path with the previous
    //    one up to their common prefix and no edge is ever looked up (building thousands of
    //    Sigma patterns per field is load time, paid again by every hunt worker). Children are
    //    linked lists.
    const firstChild = new Int32Array(total).fill(-1);
    const nextSib = new Int32Array(total).fill(-1);
    const edgeCol = new Int32Array(total);
    const ownHead = new Int32Array(total).fill(-1);
    const ownNext = new Int32Array(np).fill(-1);
    const path = new Int32Array(maxLen + 1); // path[d]: the state after d units of the last pattern
    let n = 1;
    let prev = '';
    for (const pid of textOrder(patterns)) {
      const p = patterns[pid];
      const m = Math.min(p.length, prev.length);
      let d = 0;
      while (d < m && p.charCodeAt(d) === prev.charCodeAt(d)) d++;
      let st = path[d];
      for (let i = d; i < p.length; i++) {
        const code = p.charCodeAt(i);
        const t = n++;
        edgeCol[t] = code < 128 ? this.ascii[code] : this.wide.get(code)!;
        nextSib[t] = firstChild[st];
        firstChild[st] = t;
        path[i + 1] = st = t;
      }
      // Equal texts come in id order; the list is read backwards below.
      ownNext[pid] = ownHead[st];
      ownHead[st] = pid;
      prev = p;
    }
    this.stateCount = n;
    // 3. Breadth-first renumbering, dense rows for the shallowest states (each its failure
    //    state's row with its own children on top) and failure links, in one pass: a state's
    //    failure state comes earlier in breadth-first order, so its row is complete.
    const D = Math.min(n, Math.max(1, Math.floor(denseCells / cols)));
    this.denseStates = D;
    const order = new Int32Array(n); // new id → trie state
    const newId = new Int32Array(n);
    const fail = new Int32Array(n);
    const dense = new Int32Array(D * cols); // next state's new id here; encoded below
    const step = (from: number, col: number): number => {
      let s = from;
      for (; s >= D; s = fail[s]) for (let c = firstChild[order[s]]; c >= 0; c = nextSib[c]) if (edgeCol[c] === col) return newId[c];
      return dense[s * cols + col];
    };
    let tail = 1;
    for (let i = 0; i < tail; i++) {
      const old = order[i];
      for (let t = firstChild[old]; t >= 0; t = nextSib[t]) {
        newId[t] = tail;
        order[tail++] = t;
        fail[newId[t]] = i === 0 ? 0 : step(fail[i], edgeCol[t]);
      }
      if (i < D) {
        const row = i * cols;
        if (i > 0) for (let c = 0, f = fail[i] * cols; c < cols; c++) dense[row + c] = dense[f + c];
        for (let t = firstChild[old]; t >= 0; t = nextSib[t]) dense[row + edgeCol[t]] = newId[t];
      }
    }
    this.fail = fail;
    // 4. Outputs of a state: its own patterns, then those of its failure state (all found
    //    there too), laid out in one array; failure states come first, so theirs exist.
    const ownCount = (old: number): number => {
      let c = 0;
      for (let p = ownHead[old]; p >= 0; p = ownNext[p]) c++;
      return c;
    };
    const outCount = new Int32Array(n);
    outCount[0] = ownCount(0);
    for (let i = 1; i < n; i++) outCount[i] = ownCount(order[i]) + outCount[fail[i]];
    this.outStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) this.outStart[i + 1] = this.outStart[i] + outCount[i];
    this.outList = new Int32Array(this.outStart[n]);
    const hasOut = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let k = this.outStart[i];
      const old = order[i];
      // Own patterns in ascending id order (the list was built backwards).
      const mine = ownCount(old);
      let j = k + mine;
      for (let p = ownHead[old]; p >= 0; p = ownNext[p]) this.outList[--j] = p;
      k += mine;
      if (i > 0) this.outList.copyWithin(k, this.outStart[fail[i]], this.outStart[fail[i] + 1]);
      hasOut[i] = outCount[i] > 0 ? 1 : 0;
    }
    // 5. Dense cells encoded for the scan loop; CSR children for the deep states.
    for (let k = 0; k < dense.length; k++) {
      const t = dense[k];
      dense[k] = t < D ? ((t * cols) << 1) | hasOut[t] : -(t + 1);
    }
    this.dense = dense;
    this.childStart = new Int32Array(n + 1);
    let children = 0;
    for (let i = D; i < n; i++) for (let c = firstChild[order[i]]; c >= 0; c = nextSib[c]) children++;
    this.childCol = new Int32Array(children);
    this.childNext = new Int32Array(children);
    let at = 0;
    for (let i = 0; i < n; i++) {
      this.childStart[i] = at;
      if (i >= D) for (let c = firstChild[order[i]]; c >= 0; c = nextSib[c]) {
        this.childCol[at] = edgeCol[c];
        this.childNext[at] = newId[c];
        at++;
      }
    }
    this.childStart[n] = at;
    this.hasOut = hasOut;
  }

  /** Calls hit(patternId, start, end) for every occurrence (end exclusive). */
  search(text: string, hit: (pattern: number, start: number, end: number) => void): void {
    this.scan(text, hit, this.ascii, false, 0);
  }

  /** Searches text as the continuation of a text that left the automaton in `state` (0: the
   *  root), and returns the state after it: a long text can be scanned in pieces
   *  (prefix-scan.ts resumes from a piece's end). Positions are relative to this piece. */
  searchFrom(text: string, state: number, hit: (pattern: number, start: number, end: number) => void): number {
    let st = state;
    let i = 0;
    // In a deep state: step until back in a dense one (the outputs of `state` itself were
    // reported by the scan that ended in it).
    for (; st >= this.denseStates; i++) {
      if (i >= text.length) return st;
      const c = text.charCodeAt(i);
      st = this.deepStep(st, c < 128 ? this.ascii[c] : (this.wide.get(c) ?? 0));
      if (this.hasOut[st] !== 0) this.emit(st, i, hit);
    }
    return i === 0 ? this.scan(text, hit, this.ascii, false, st) : this.scan(text.substring(i), (p, s, e) => hit(p, s + i, e + i), this.ascii, false, st);
  }

  /** Search text.toLowerCase() without building it: A-Z read as a-z. Stops at the first
   *  non-ASCII character and returns false (hits so far are valid; the caller then searches
   *  the lowercased text). Returns true when the whole text was ASCII and searched. */
  searchAsciiFolded(text: string, hit: (pattern: number, start: number, end: number) => void): boolean {
    return this.scan(text, hit, this.asciiFolded, true, 0) >= 0;
  }

  /** Scans text from the dense `state`; returns the state after it, or -1 when asciiOnly and
   *  a non-ASCII character stopped the scan. */
  private scan(text: string, hit: (pattern: number, start: number, end: number) => void, ascii: Uint16Array, asciiOnly: boolean, state: number): number {
    const { wide, dense, width, hasOut, outStart, outList, lengths, denseStates } = this;
    const hasWide = wide.size > 0;
    const n = text.length;
    let off = state * width; // row offset of the current (dense) state
    let i = 0;
    while (i < n) {
      // Hot loop: dense states without output, one array read per character.
      let v = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 128 && asciiOnly) return -1;
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
          if (++i >= n) return st;
          const c = text.charCodeAt(i);
          if (c >= 128 && asciiOnly) return -1;
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
    return off / width;
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

/** Pattern ids in code-unit order of their texts, equal texts by id (the identity when the
 *  patterns come sorted, as the matcher's do). */
function textOrder(patterns: readonly string[]): Int32Array {
  const ids = new Int32Array(patterns.length);
  let sorted = true;
  for (let i = 0; i < ids.length; i++) {
    ids[i] = i;
    if (i > 0 && patterns[i] < patterns[i - 1]) sorted = false;
  }
  if (!sorted) ids.sort((a, b) => (patterns[a] < patterns[b] ? -1 : patterns[a] > patterns[b] ? 1 : a - b));
  return ids;
}
