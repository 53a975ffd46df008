// The table matcher's public face: createTableMatcher (compiled tables → Matcher) and
// loadBundle (bundle file or bytes → verified compiled tables + matcher).
export { createTableMatcher, type TableMatcher, type TableMatcherStats } from './matcher.ts';
export { loadBundle, verifyBundle, type LoadedBundle, type LoadOptions } from '../bundle/load.ts';
