// A Sigma search identifier (one entry of `detection:`) → expression. Maps AND their items,
// lists of maps OR the maps (never one OR over all fields), lists of scalars are keywords.

import type { Expr } from '../../ast.ts';
import { SigmaReject } from './reject.ts';
import { itemExpr, type ValueContext } from './values.ts';

export function searchExpr(name: string, body: unknown, ctx: ValueContext): Expr {
  if (body === null || body === undefined) throw new SigmaReject(`detection '${name}' is empty`);
  if (Array.isArray(body)) {
    if (body.length === 0) throw new SigmaReject(`detection '${name}' is an empty list`);
    if (body.every((b) => isMap(b))) {
      const args = body.map((b) => mapExpr(name, b as Record<string, unknown>, ctx));
      return args.length === 1 ? args[0] : { kind: 'or', args };
    }
    if (body.some((b) => isMap(b) || Array.isArray(b))) {
      // Mixed list: keywords ORed with maps.
      const args = body.map((b) => (isMap(b) ? mapExpr(name, b as Record<string, unknown>, ctx) : itemExpr(null, [], b, ctx)));
      return { kind: 'or', args };
    }
    return itemExpr(null, [], body, ctx);
  }
  if (isMap(body)) return mapExpr(name, body as Record<string, unknown>, ctx);
  // A single keyword string.
  return itemExpr(null, [], body, ctx);
}

function mapExpr(name: string, map: Record<string, unknown>, ctx: ValueContext): Expr {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new SigmaReject(`detection '${name}' has an empty map`);
  const args = keys.map((key) => {
    const [field, ...mods] = key.split('|');
    // `'|re': …` or `'|contains': …` without a field name: keywords with modifiers.
    return itemExpr(field === '' ? null : field, mods.map((m) => m.trim().toLowerCase()), map[key], ctx);
  });
  return args.length === 1 ? args[0] : { kind: 'and', args };
}

function isMap(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}
