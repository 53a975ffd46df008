// The table matcher's public face: createTableMatcher (compiled tables → Matcher) and
// loadBundle (bundle file or bytes → verified compiled tables + matcher).
export { createTableMatcher, type TableMatcher, type TableMatcherStats } from './matcher.ts';
// loadBundle lives in runtime/bundle/load.ts (verification + matcher creation).
