// Sigma regexes are written for PCRE/Python engines; Luna runs ECMAScript regexes with an
// unanchored search. Translate the common differences and reject what cannot be expressed.

import { SigmaReject } from './reject.ts';

export function translateRegex(src: string): { pattern: string; flags: string } {
  let pattern = src;
  let flags = '';
  // Leading inline flags `(?i)`, `(?ims)` become regex flags (ECMAScript has no global inline flags).
  const lead = /^\(\?([imsx]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1].includes('x')) throw new SigmaReject(`regex flag 'x' (verbose) is not supported: ${src}`);
    flags = lead[1];
    pattern = pattern.slice(lead[0].length);
  }
  pattern = pattern
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$')
    .replace(/\\z/g, '$');
  if (/\(\?[imsx-]+\)/.test(pattern)) throw new SigmaReject(`inline regex flags in the middle of a pattern are not supported: ${src}`);
  if (/\(\?[<>]?[!=]?\+|\+\+|\*\+|\?\+|\(\?>/.test(pattern)) throw new SigmaReject(`possessive quantifiers / atomic groups are not supported: ${src}`);
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw new SigmaReject(`regex does not compile as ECMAScript (${(err as Error).message}): ${src}`);
  }
  return { pattern, flags };
}
