// Stage 10 — emit: the compiled policy as plain JSON data (the bundle writer canonicalizes it).

import type { CompileContext } from './context.ts';
import { kernelTables } from './partition.ts';
import { COMPILER_VERSION } from './version.ts';

export function emit(ctx: CompileContext): void {
  ctx.output = {
    format: 'luna-tables',
    version: 1,
    compilerVersion: COMPILER_VERSION,
    predicates: ctx.predicates,
    rules: ctx.rules,
    tables: ctx.tables,
    policies: ctx.policies.map((p) => ({ name: p.name, version: p.version, origin: p.origin, defaults: p.defaults })),
    correlations: ctx.policies.flatMap((p) => p.correlations),
    kernel: kernelTables(ctx),
  };
}
