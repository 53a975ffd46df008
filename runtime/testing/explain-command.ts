// `luna explain`: clause by clause, why one rule matched one event or not.

import { readFileSync } from 'node:fs';
import type { LunaEvent } from '../../policy/ast.ts';
import { DiagnosticError, diag, didYouMean } from '../../policy/diagnostics.ts';
import { EXIT_OK } from '../cli/exit-codes.ts';
import { printJson, type Format } from '../cli/output.ts';
import { eventType } from '../../policy/catalogue.ts';
import { parseEventLine } from '../events/read-ndjson.ts';
import { explain } from '../interpreter/index.ts';
import { renderTrace } from '../interpreter/explain.ts';
import { verdict } from '../verdict.ts';
import { reportWarnings, loadCheckedPolicies } from './load-rules.ts';

export interface ExplainOptions {
  rule: string;
  event: string;
  rules?: string[];
  line?: string;
  type?: string;
}

/** The event: a JSON file with one object, or NDJSON (line --line, default the first). */
function readEvent(file: string, lineOpt: string | undefined, typeOpt: string | undefined): LunaEvent {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new DiagnosticError([diag('LUN6103', 'error', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file })]);
  }
  const name = file === '-' ? '<stdin>' : file;
  let item;
  const whole = lineOpt === undefined ? parseEventLine(text, name, 1) : undefined;
  if (whole?.kind === 'event') item = whole;
  else {
    const want = lineOpt === undefined ? undefined : Number(lineOpt);
    if (want !== undefined && !(Number.isInteger(want) && want >= 1)) {
      throw new DiagnosticError([diag('LUN6111', 'error', `--line must be a positive line number (got '${lineOpt}')`)]);
    }
    const lines = text.split(/\r?\n/);
    const n = want ?? lines.findIndex((l) => l.trim() !== '') + 1;
    if (n < 1 || n > lines.length || !lines[n - 1].trim()) {
      throw new DiagnosticError([diag('LUN6104', 'error', `${name} has no event on line ${want ?? 1}`, { file: name })]);
    }
    item = parseEventLine(lines[n - 1], name, n);
  }
  if (item.kind === 'error') throw new DiagnosticError([item.diagnostic]);
  if (typeOpt) {
    if (!eventType(typeOpt)) throw new DiagnosticError([diag('LUN6105', 'error', `unknown event type ${typeOpt}`)]);
    return { type: eventType(typeOpt)!.name, fields: item.event.fields };
  }
  return item.event;
}

export async function runExplainCommand(paths: string[], opts: ExplainOptions, format: Format): Promise<number> {
  const rulePaths = [...(opts.rules ?? []), ...paths];
  if (rulePaths.length === 0) {
    throw new DiagnosticError([diag('LUN6110', 'error', 'no rule paths given', { suggestion: 'luna explain --rule ID --event FILE examples/' })]);
  }
  const { policies, warnings, sources } = await loadCheckedPolicies(rulePaths);
  reportWarnings(warnings, format, sources);
  const event = readEvent(opts.event, opts.line, opts.type);
  const result = explain(policies, opts.rule, event);
  if (!result) {
    const ids = policies.flatMap((p) => p.rules.map((r) => r.id));
    const guess = didYouMean(opts.rule, ids);
    throw new DiagnosticError([
      diag('LUN6106', 'error', `no rule with id '${opts.rule}' in ${rulePaths.join(', ')}`, guess ? { suggestion: `did you mean ${guess}?` } : {}),
    ]);
  }
  const owner = policies.find((p) => p.rules.some((r) => r.id === opts.rule))!;
  const rule = owner.rules.find((r) => r.id === opts.rule)!;
  const v = result.matched ? verdict(event, [{ ruleId: rule.id, title: rule.title, ruleName: rule.ruleName, actions: rule.actions }], [owner]) : undefined;
  if (format === 'json') {
    printJson({ ...result, event, ...(v ? { verdict: v } : {}) });
  } else {
    const out = [
      `${result.matched ? 'MATCH' : 'NO MATCH'}: ${result.ruleId} (${result.title}) on ${event.type} event — ${result.reason}`,
      renderTrace(result.trace),
    ];
    if (result.matched) out.push(`actions: ${rule.actions.map((a) => a.kind).join(', ') || 'none'}`);
    process.stdout.write(out.join('\n') + '\n');
  }
  return EXIT_OK;
}
