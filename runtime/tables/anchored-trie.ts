// startswith / endswith patterns of one field as a trie walked from the value's first
// character (prefixes) or from its last one backwards (suffixes). A walk stops where no
// pattern continues, so it costs at most the longest pattern, whatever the value's length:
// a 2,000-character CallTrace or CommandLine is not scanned to learn how it begins or ends
// (the Aho-Corasick pass, which must read everything, is kept for `contains`).

export class AnchoredTrie {
  readonly patternCount: number;
  private readonly fromEnd: boolean;
  /** Root children for ASCII code units: child state + 1 (0 = none). */
  private readonly rootAscii: Int32Array;
  /** Children of every state as CSR, sorted by code unit. */
  private readonly childStart: Int32Array;
  private readonly childCode: Uint16Array;
  private readonly childNext: Int32Array;
  /** Pattern ending at each state, or -1. */
  private readonly out: Int32Array;

  /** `patterns` are distinct; `fromEnd` builds the suffix trie (patterns read backwards). */
  constructor(patterns: readonly string[], fromEnd: boolean) {
    this.patternCount = patterns.length;
    this.fromEnd = fromEnd;
    const kids: Map<number, number>[] = [new Map()];
    const out: number[] = [-1];
    patterns.forEach((p, pid) => {
      let s = 0;
      for (let k = 0; k < p.length; k++) {
        const c = p.charCodeAt(fromEnd ? p.length - 1 - k : k);
        let t = kids[s].get(c);
        if (t === undefined) {
          t = kids.length;
          kids.push(new Map());
          out.push(-1);
          kids[s].set(c, t);
        }
        s = t;
      }
      out[s] = pid;
    });
    this.out = Int32Array.from(out);
    this.childStart = new Int32Array(kids.length + 1);
    const codes: number[] = [];
    const next: number[] = [];
    kids.forEach((m, s) => {
      this.childStart[s] = codes.length;
      for (const c of [...m.keys()].sort((a, b) => a - b)) {
        codes.push(c);
        next.push(m.get(c)!);
      }
    });
    this.childStart[kids.length] = codes.length;
    this.childCode = Uint16Array.from(codes);
    this.childNext = Int32Array.from(next);
    this.rootAscii = new Int32Array(128);
    for (const [c, t] of kids[0]) if (c < 128) this.rootAscii[c] = t + 1;
  }

  /** Calls hit(pattern) for every pattern `text` starts with (ends with, for a suffix trie),
   *  shortest first. With `foldAscii`, A-Z are read as a-z (text.toLowerCase() without the
   *  copy) and the walk gives up at the first non-ASCII character it meets, returning false:
   *  hits so far are right, and the caller walks the lowercased text for the rest. */
  walk(text: string, hit: (pattern: number) => void, foldAscii = false): boolean {
    const n = text.length;
    const { out, fromEnd } = this;
    let s = 0;
    for (let k = 0; k < n; k++) {
      let c = text.charCodeAt(fromEnd ? n - 1 - k : k);
      if (foldAscii) {
        if (c >= 128) return false;
        if (c >= 65 && c <= 90) c += 32;
      }
      s = k === 0 && c < 128 ? this.rootAscii[c] - 1 : this.child(s, c);
      if (s < 0) return true;
      if (out[s] >= 0) hit(out[s]);
    }
    return true;
  }

  private child(s: number, c: number): number {
    const { childCode, childNext } = this;
    let lo = this.childStart[s];
    let hi = this.childStart[s + 1];
    // Most states have one child or a few: scan; binary search the wide ones.
    if (hi - lo <= 8) {
      for (; lo < hi; lo++) {
        const cc = childCode[lo];
        if (cc === c) return childNext[lo];
        if (cc > c) return -1;
      }
      return -1;
    }
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const cc = childCode[mid];
      if (cc === c) return childNext[mid];
      if (cc < c) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }
}
