// `luna inspect <bundle>`: what a bundle holds — manifest, rule counts per event type, table
// sizes per field, kernel/user placement (with reasons), requirements, self-tests.
import type { Command } from 'commander';
import { action, formatOf, printJson } from '../output.ts';
import { EXIT_OK } from '../exit-codes.ts';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show what a bundle holds: manifest, tables, placement')
    .argument('<bundle>', 'bundle file (.lbundle)')
    .option('--rules', 'list every rule with its placement and reason')
    .addHelpText(
      'after',
      `
Reads without requiring a key (use luna verify to check signatures and self-tests).

Examples:
  luna inspect policy.lbundle
  luna inspect policy.lbundle --rules
  luna --format json inspect policy.lbundle`,
    )
    .action(
      action(async (bundle: string, opts: { rules?: boolean }, cmd: Command) => {
        const { loadBundle } = await import('../../bundle/load.ts');
        const b = loadBundle(bundle, { skipSelfTests: true, minRevision: undefined });
        const m = b.manifest;
        const c = b.compiled;
        const tables = Object.entries(c.tables).map(([type, t]) => ({
          type,
          rules: t.rules.length,
          alwaysEvaluated: t.always.length,
          indexedPredicates: t.index.length,
          lazyPredicates: t.lazy.length,
          fields: t.fields.map(([name, f]) => ({
            name, exact: f.exact.length + f.exactCased.length, numeric: f.numEq.length, patterns: f.patterns.length, regex: f.regex.length,
            ranges: f.ranges.lt.length + f.ranges.lte.length + f.ranges.gt.length + f.ranges.gte.length, cidr: f.cidr.length, direct: f.direct.length,
          })),
        }));
        const reasons = new Map<string, number>();
        for (const r of c.rules) if (r.enabled && r.placement.where === 'user') reasons.set(r.placement.reason, (reasons.get(r.placement.reason) ?? 0) + 1);
        const topReasons = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
        if (formatOf(cmd) === 'json') {
          printJson({
            manifest: { ...m, selfTests: m.selfTests.length }, tables, kernel: { prefilter: b.kernel.prefilter, entries: b.kernel.entries.length, rules: b.kernel.rules.length },
            userReasons: Object.fromEntries(topReasons),
            ...(opts.rules ? { rules: c.rules.map((r) => ({ id: r.id, on: r.on, enabled: r.enabled, where: r.placement.where, reason: r.placement.reason, dnfTerms: r.dnf?.length ?? null, fallback: r.fallback })) } : {}),
          });
          return EXIT_OK;
        }
        const out: string[] = [];
        out.push(`${bundle}: ${m.format} v${m.formatVersion}, revision ${m.revision}, ${b.bytes} bytes`);
        out.push(`  engine ≥ ${m.engineMin} · event schema ${m.eventSchemaVersion} · compiler ${m.compilerVersion} · source ${m.sourceCommit ?? '(unknown)'}`);
        out.push(`  created ${m.createdAt ?? '(not recorded)'} · valid ${m.notBefore ?? '-∞'} … ${m.expiresAt ?? '∞'}`);
        out.push(`  policies: ${m.policies.map((p) => `${p.name}@${p.version} (${p.origin})`).join(', ') || '(none)'}`);
        out.push(`  rules: ${m.counts.rules} (${m.counts.enabledRules} enabled) · predicates ${m.counts.predicates} · kernel ${m.counts.kernelRules} · user ${m.counts.userRules} · fallbacks ${m.counts.fallbackRules} · correlations ${m.counts.correlations}`);
        out.push(`  requires: operators ${m.requires.operators.join(', ') || '-'}; actions ${m.requires.actions.join(', ') || '-'}; capabilities ${m.requires.capabilities.join(', ') || '-'}`);
        out.push(`  files: ${Object.entries(m.files).map(([n, f]) => `${n} ${f.size}B ${f.sha256.slice(0, 12)}…`).join(', ')}`);
        out.push(`  self-tests: ${m.selfTests.length}`);
        out.push('tables:');
        for (const t of tables) {
          out.push(`  ${t.type}: ${t.rules} rules (${t.alwaysEvaluated} always evaluated), ${t.indexedPredicates} index keys, ${t.lazyPredicates} lazy predicates`);
          for (const f of t.fields) {
            const parts = Object.entries(f).filter(([k, v]) => k !== 'name' && v).map(([k, v]) => `${k} ${v}`);
            out.push(`    ${f.name}: ${parts.join(', ')}`);
          }
        }
        out.push(`kernel: ${b.kernel.entries.length} entries for ${b.kernel.rules.length} rules; prefilter ${Object.entries(b.kernel.prefilter).map(([t, v]) => `${t}=${v}`).join(' ')}`);
        if (topReasons.length) {
          out.push('why rules stay in user space:');
          for (const [why, n] of topReasons) out.push(`  ${String(n).padStart(5)}  ${why}`);
        }
        if (opts.rules) {
          out.push('rules:');
          for (const r of c.rules) out.push(`  ${r.placement.where.padEnd(6)} ${r.id}${r.enabled ? '' : ' (disabled)'}: ${r.placement.reason}`);
        }
        process.stdout.write(out.join('\n') + '\n');
        return EXIT_OK;
      }),
    );
}
