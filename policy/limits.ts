// Hard limits that keep hostile or broken policy files from exhausting memory or the stack.
// Each limit produces its own diagnostic code (see docs/diagnostics.md).

/** Largest policy file accepted (LUN1004). */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Deepest nesting of parentheses / not / brackets in one condition (LUN1005). */
export const MAX_NESTING = 200;
/** Most items in one list (LUN1006). */
export const MAX_LIST_ITEMS = 100_000;
/** Most tokens in one file; a 10 MB file of one-character tokens stays below it (LUN1004). */
export const MAX_TOKENS = 5_000_000;
/** Longest regex pattern accepted (LUN2010). */
export const MAX_REGEX_LENGTH = 10_000;
/** Syntax diagnostics kept per file; the rest are summarised in one LUN1098 (garbage in, not a flood out). */
export const MAX_DIAGNOSTICS_PER_FILE = 200;
