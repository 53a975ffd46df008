// `luna eval`: one JSON verdict line per input event, in input order.
//   {"index","logged","blocked","rule_name","matches":[{"rule_id","title","level","author","actions"}]}
// `index` counts the non-blank input records from 0 across all inputs (a malformed record
// keeps its index, so output lines can be joined back to input records). Exit 2 if any input
// record was malformed (after processing everything else), else 0.

import { once } from 'node:events';
import type { Policy } from '../../policy/ast.ts';
import { DiagnosticError, diag } from '../../policy/diagnostics.ts';
import { EXIT_OK, EXIT_USAGE } from '../cli/exit-codes.ts';
import { printDiagnostics, type Format } from '../cli/output.ts';
import { readEventLines } from '../events/read-ndjson.ts';
import { createInterpreter } from '../interpreter/index.ts';
import type { Match, Matcher } from '../matcher.ts';
import { verdict } from '../verdict.ts';
import { loadBundleRules, loadCheckedPolicies, loadTableEngine, reportWarnings } from './load-rules.ts';

export interface EvalOptions {
  rules?: string[];
  engine?: string;
  /** Pinned Ed25519 public key: a bundle must then carry a valid signature by it. */
  publicKey?: string;
}

export function verdictLine(index: number, v: ReturnType<typeof verdict>, matches: Match[]): string {
  return JSON.stringify({
    index,
    logged: v.logged,
    blocked: v.blocked,
    rule_name: v.ruleName,
    matches: matches.map((m) => ({
      rule_id: m.ruleId,
      title: m.title,
      level: m.level ?? null,
      author: m.author ?? null,
      actions: m.actions.map((a) => a.kind),
    })),
  });
}

async function rulesMatcher(rules: string[], engine: string, format: Format, publicKey?: string): Promise<{ matcher: Matcher; defaults: Array<Pick<Policy, 'defaults'>> }> {
  const bundles = rules.filter((r) => r.endsWith('.lbundle'));
  if (bundles.length > 0) {
    if (bundles.length !== 1 || rules.length !== 1) {
      throw new DiagnosticError([diag('LUN6113', 'error', '--rules takes either one .lbundle or policy sources, not both')]);
    }
    return loadBundleRules(bundles[0], { publicKey });
  }
  const { policies, warnings, sources } = await loadCheckedPolicies(rules);
  reportWarnings(warnings, format, sources);
  if (engine === 'tables') {
    const tables = await loadTableEngine();
    if (!tables) throw new DiagnosticError([diag('LUN4950', 'error', 'table matcher not available in this build', { suggestion: 'use --engine interp' })]);
    const { matcher, diagnostics } = tables.build(policies);
    if (diagnostics.some((d) => d.severity === 'error')) throw new DiagnosticError(diagnostics);
    return { matcher, defaults: policies };
  }
  return { matcher: createInterpreter(policies), defaults: policies };
}

export async function runEvalCommand(events: string[], opts: EvalOptions, format: Format): Promise<number> {
  const engine = opts.engine ?? 'interp';
  if (engine !== 'interp' && engine !== 'tables') throw new DiagnosticError([diag('LUN6111', 'error', `--engine must be interp or tables (got '${engine}')`)]);
  const { matcher, defaults } = await rulesMatcher(opts.rules ?? [], engine, format, opts.publicKey);

  let broken = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); // reader went away (| head)
  });
  let buf: string[] = [];
  const flush = async () => {
    if (!buf.length) return;
    const ok = process.stdout.write(buf.join('\n') + '\n');
    buf = [];
    if (!ok) await once(process.stdout, 'drain');
  };
  let index = 0;
  let bad = 0;
  let evaluated = 0;
  for await (const item of readEventLines(events)) {
    if (item.kind === 'error') {
      bad++;
      broken = true;
      await flush(); // keep stdout and stderr in order for humans
      printDiagnostics([item.diagnostic], format);
      if (item.line > 0) index++;
      continue;
    }
    const matches = matcher.match(item.event);
    evaluated++;
    buf.push(verdictLine(index++, verdict(item.event, matches, defaults), matches));
    if (buf.length >= 256) await flush();
  }
  await flush();
  if (broken && format === 'human') {
    process.stderr.write(`${bad} input problem${bad === 1 ? '' : 's'} reported above; every other record was evaluated (${evaluated} event${evaluated === 1 ? '' : 's'})\n`);
  }
  return broken ? EXIT_USAGE : EXIT_OK;
}
