// Numeric command-line options are checked before anything loads or connects: a typo is a
// coded usage error (LUN9005, exit 2) naming the option, never a silent NaN that turns a
// limit off or a default on.

/** A whole-number option in [min, max]. */
export function wholeNumber(name: string, raw: string | number, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`LUN9005: ${name} must be a whole number from ${min} to ${max} (got '${raw}')`);
  return n;
}
