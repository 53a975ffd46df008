// The compiler as a table of named stages (OPA style): each is a small function over the
// shared context, testable alone and timed by `luna compile --timings`.

import { diag } from '../policy/diagnostics.ts';
import { absorb } from './absorb.ts';
import { analyze } from './analysis.ts';
import type { CompileContext } from './context.ts';
import { toDnf } from './dnf.ts';
import { emit } from './emit.ts';
import { PredTable } from './hashcons.ts';
import { normalizeExpr, type PExpr } from './normalize.ts';
import { partition } from './partition.ts';
import { toProgram } from './program.ts';
import { resolve } from './resolve.ts';
import { buildIndex } from './rule-index.ts';
import { buildTables } from './tables.ts';
import { typecheck } from './typecheck.ts';

export type Stage = (ctx: CompileContext) => void;

const normalized = new WeakMap<CompileContext, PExpr[]>();

export function normalizeStage(ctx: CompileContext): void {
  normalized.set(ctx, ctx.resolved.map((r) => normalizeExpr(r.expr)));
}

export function hashconsStage(ctx: CompileContext): void {
  const table = new PredTable();
  const pexprs = normalized.get(ctx) ?? ctx.resolved.map((r) => normalizeExpr(r.expr));
  ctx.work = ctx.resolved.map((r, i) => ({ ...r, nexpr: table.cons(pexprs[i]), dnf: null, dnfSize: 0 }));
  ctx.predicates = table.preds;
  ctx.predIndex = table.index;
}

/** Absorption, then DNF (with the blow-up guard) and the postfix program of every rule. */
export function programsStage(ctx: CompileContext): void {
  ctx.rules = ctx.work.map((w) => {
    w.nexpr = absorb(w.nexpr);
    const { terms, size } = toDnf(w.nexpr, ctx.options.maxDnfTerms);
    w.dnf = terms;
    w.dnfSize = size;
    if (!terms) {
      ctx.diagnostics.push(diag('LUN3304', 'info', `rule '${w.rule.id}': condition expands to more than ${ctx.options.maxDnfTerms} DNF terms (≥${size}); it runs as an expression program and cannot be placed in the kernel`, {
        span: w.rule.span, suggestion: 'factor common conditions out of large OR-of-AND groups',
      }));
    }
    const prog = toProgram(w.nexpr);
    const r = w.rule;
    return {
      id: r.id, title: r.title,
      ...(r.level ? { level: r.level } : {}),
      ...(r.author ? { author: r.author } : {}),
      ...(r.ruleName ? { ruleName: r.ruleName } : {}),
      // Hunts filter detections by tag (--tag), from a bundle too.
      ...(r.tags.length ? { tags: [...r.tags] } : {}),
      actions: r.actions, on: [...r.on], enabled: r.enabled, policy: w.policy,
      dnf: terms, prog,
      fallback: prog.some((op) => op >= 0 && ['fieldref', 'timepart', 'keyword'].includes(ctx.predicates[op >> 1].op)),
      placement: { where: 'user', reason: 'not partitioned yet' },
    };
  });
}

export const STAGES: ReadonlyArray<readonly [string, Stage]> = [
  ['resolve', resolve],
  ['typecheck', typecheck],
  ['normalize', normalizeStage],
  ['hashcons', hashconsStage],
  ['programs', programsStage],
  ['tables', buildTables],
  ['index', buildIndex],
  ['partition', partition],
  ['analyze', analyze],
  ['emit', emit],
];
