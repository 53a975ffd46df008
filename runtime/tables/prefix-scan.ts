// Long values that start like the field's previous value are scanned from where they
// differ. PowerShell module logging repeats a 5 KB ContextInfo (host application with its
// encoded command line) in every event, changing only the last lines (command name,
// sequence number); an automaton reports the same occurrences in the same order for the
// same prefix, so those are replayed and the scan resumes from the state it had there.
// The state is kept at every STEP characters; a value that shares less than MIN_SHARED
// characters with the previous one is scanned whole, as without this.

import type { AhoCorasick } from './aho-corasick.ts';

/** Values shorter than this are always scanned whole. */
export const PREFIX_MIN = 2048;
const STEP = 512;
const MIN_SHARED = 1024;

type Hit = (pattern: number, start: number, end: number) => void;

export class PrefixScan {
  private prev = '';
  /** states[k]: the automaton's state after prev's first k * STEP characters (when kept;
   *  states[0], never written, is the root). */
  private states = new Int32Array(64);
  private kept = 0;
  /** prev's occurrences in scan order: pattern, start, end. */
  private hits = new Int32Array(192);
  private nHits = 0;
  private offset = 0;
  private out: Hit = () => {};
  private readonly record: Hit = (p, s, e) => {
    const at = this.nHits * 3;
    if (at + 3 > this.hits.length) {
      const grown = new Int32Array(this.hits.length * 2);
      grown.set(this.hits);
      this.hits = grown;
    }
    this.hits[at] = p;
    this.hits[at + 1] = s + this.offset;
    this.hits[at + 2] = e + this.offset;
    this.nHits++;
    this.out(p, s + this.offset, e + this.offset);
  };

  private readonly ac: AhoCorasick;

  constructor(ac: AhoCorasick) {
    this.ac = ac;
  }

  /** Reports every occurrence in text, as AhoCorasick.search does; returns how many of its
   *  characters were not scanned again. */
  search(text: string, hit: Hit): number {
    const shared = sharedPrefix(this.prev, text);
    this.prev = text;
    if (shared === 0) {
      // Not (or no longer) repeating: a plain scan, and nothing kept.
      this.kept = 0;
      this.ac.search(text, hit);
      return 0;
    }
    // Resume from the last kept state within the shared prefix; replay what ended before it.
    const from = Math.max(0, Math.min(shared / STEP, this.kept - 1));
    let k = 0;
    const limit = from * STEP;
    const hs = this.hits;
    if (from > 0) for (; k < this.nHits && hs[k * 3 + 2] <= limit; k++) hit(hs[k * 3], hs[k * 3 + 1], hs[k * 3 + 2]);
    this.nHits = k;
    this.out = hit;
    const pieces = Math.ceil(text.length / STEP);
    if (pieces + 1 > this.states.length) {
      const grown = new Int32Array(pieces + 1);
      grown.set(this.states);
      this.states = grown;
    }
    let st = this.states[from]; // states[0] is the root, 0
    for (let j = from; j < pieces; j++) {
      this.offset = j * STEP;
      st = this.ac.searchFrom(text.substring(j * STEP, (j + 1) * STEP), st, this.record);
      this.states[j + 1] = st;
    }
    this.kept = pieces + 1;
    this.offset = 0;
    return limit;
  }
}

/** The length of a common prefix of a and b, in whole STEP-sized chunks: 0 when under
 *  MIN_SHARED (not worth resuming for). */
export function sharedPrefix(a: string, b: string): number {
  const n = sharedChunks(a, b) * STEP;
  return n < MIN_SHARED ? 0 : n;
}

/** How many whole STEP-sized chunks a and b have in common from the start. */
function sharedChunks(a: string, b: string): number {
  const n = Math.floor(Math.min(a.length, b.length) / STEP);
  let k = 0;
  // Equality of two substrings compares their characters in bulk (startsWith at an offset
  // with a substring measured ten times slower).
  while (k < n && a.substring(k * STEP, (k + 1) * STEP) === b.substring(k * STEP, (k + 1) * STEP)) k++;
  return k;
}
