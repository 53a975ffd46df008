// `luna compile <paths…> -o policy.lbundle`: load policies (every front end), check, compile
// to decision tables (named stages, --timings), partition kernel/user (--explain-placement),
// and write a deterministic, optionally signed bundle.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

interface CompileOpts {
  output: string;
  revision?: string;
  key?: string;
  timings?: boolean;
  explainPlacement?: boolean;
  sourceCommit?: string;
  createdAt?: string;
  notBefore?: string;
  expiresAt?: string;
  maxDnfTerms?: string;
  skipInvalid?: boolean;
}

export function register(program: Command): void {
  program
    .command('compile')
    .description('compile policies into a signed bundle of decision tables')
    .argument('<paths...>', 'policy files or directories (walked recursively, in sorted order)')
    .requiredOption('-o, --output <file>', 'bundle to write (e.g. policy.lbundle)')
    .option('--revision <n>', 'monotonic bundle revision (agents refuse rollbacks)', '1')
    .option('--key <file>', 'Ed25519 private key (PEM) to sign the manifest (see luna keygen)')
    .option('--timings', 'print the time each compiler stage took')
    .option('--explain-placement', 'print, per rule, whether it runs in the kernel or user space and why')
    .option('--source-commit <sha>', 'source commit recorded in the manifest (default: git rev-parse HEAD)')
    .option('--created-at <iso>', 'creation time recorded in the manifest (default: SOURCE_DATE_EPOCH, else none)')
    .option('--not-before <iso>', 'agents refuse the bundle before this time')
    .option('--expires-at <iso>', 'agents refuse the bundle from this time on')
    .option('--max-dnf-terms <n>', 'largest DNF kept per rule before it runs as an expression program', '256')
    .option('--skip-invalid', 'leave out the rules of files that have errors (reported as warnings) instead of failing')
    .addHelpText(
      'after',
      `
The compiler runs named stages (resolve → typecheck → normalize → hashcons → programs →
tables → index → partition → analyze → emit). The bundle is byte-identical for the same
sources and options: no timestamp unless --created-at or SOURCE_DATE_EPOCH gives one.

Exit codes: 0 bundle written · 2 errors in the policies or bad options

Examples:
  luna compile examples/ -o policy.lbundle
  luna compile rules/ -o prod.lbundle --revision 42 --key release.key
  luna compile rules/ -o p.lbundle --timings --explain-placement
  SOURCE_DATE_EPOCH=1700000000 luna compile rules/ -o p.lbundle      reproducible createdAt
  luna --format json compile rules/ -o p.lbundle                     summary as JSON
  luna compile sigma/rules -o sigma.lbundle --skip-invalid           compile what is valid`,
    )
    .action(
      action(async (paths: string[], opts: CompileOpts, cmd: Command) => {
        const format = formatOf(cmd);
        const revision = Number(opts.revision ?? '1');
        const maxDnf = Number(opts.maxDnfTerms ?? '256');
        if (!Number.isInteger(revision) || revision < 0) {
          printDiagnostics([{ code: 'LUN0003', severity: 'error', message: `--revision must be a non-negative integer, got '${opts.revision}'` }], format);
          return EXIT_USAGE;
        }
        if (!Number.isInteger(maxDnf) || maxDnf < 1) {
          printDiagnostics([{ code: 'LUN0003', severity: 'error', message: `--max-dnf-terms must be a positive integer, got '${opts.maxDnfTerms}'` }], format);
          return EXIT_USAGE;
        }
        for (const [name, v] of [['--created-at', opts.createdAt], ['--not-before', opts.notBefore], ['--expires-at', opts.expiresAt]] as const) {
          if (v !== undefined && Number.isNaN(Date.parse(v))) {
            printDiagnostics([{ code: 'LUN0003', severity: 'error', message: `${name} must be an ISO-8601 time, got '${v}'` }], format);
            return EXIT_USAGE;
          }
        }
        const { loadPolicies } = await import('../../../policy/load.ts');
        const { compilePoliciesWithChecks } = await import('../../../compiler/index.ts');
        const { buildBundle } = await import('../../bundle/write.ts');
        const { privateKeyFrom } = await import('../../bundle/keys.ts');
        const { writeFileSync } = await import('node:fs');
        const key = opts.key ? privateKeyFrom(opts.key) : undefined;
        const loaded = await loadPolicies(paths);
        const compileOpts = { maxDnfTerms: maxDnf };
        let result = await compilePoliciesWithChecks(loaded.policies, compileOpts);
        let diagnostics = [...loaded.diagnostics, ...result.diagnostics];
        if (opts.skipInvalid && diagnostics.some((d) => d.severity === 'error')) {
          // Leave out every rule of a file with an error, then compile again.
          const bad = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.span?.file ?? d.file ?? ''));
          let skipped = 0;
          loaded.policies = loaded.policies
            .map((p) => {
              const rules = p.rules.filter((r) => !bad.has(r.span?.file ?? p.span?.file ?? ''));
              skipped += p.rules.length - rules.length;
              return { ...p, rules };
            })
            .filter((p) => p.rules.length || p.correlations.length || !bad.has(p.span?.file ?? ''));
          const demoted = diagnostics.map((d) => (d.severity === 'error' ? { ...d, severity: 'warning' as const, message: `${d.message} (rules of this file skipped)` } : d));
          result = await compilePoliciesWithChecks(loaded.policies, compileOpts);
          diagnostics = [
            ...demoted,
            ...result.diagnostics.filter((d) => d.severity === 'error'),
            { code: 'LUN4018', severity: 'warning', message: `--skip-invalid: left out ${skipped} rule(s) from ${bad.size} file(s) with errors` },
          ];
        }
        printDiagnostics(diagnostics, format, loaded.sources);
        if (diagnostics.some((d) => d.severity === 'error')) return EXIT_USAGE;
        if (loaded.policies.length === 0) {
          printDiagnostics([{ code: 'LUN4017', severity: 'error', message: `no policies to compile in ${paths.join(', ')}`, suggestion: 'check the paths and the warnings above (rejected rules)' }], format);
          return EXIT_USAGE;
        }
        const sourceCommit = opts.sourceCommit ?? (await gitHead());
        if (sourceCommit !== undefined && !/^[0-9a-f]{7,64}$/.test(sourceCommit)) {
          printDiagnostics([{ code: 'LUN0003', severity: 'error', message: `--source-commit must be a hex commit id, got '${sourceCommit}'` }], format);
          return EXIT_USAGE;
        }
        const { bytes, manifest } = buildBundle(result.compiled, {
          revision, privateKey: key, policies: loaded.policies, sourceCommit: sourceCommit ?? null,
          createdAt: opts.createdAt, notBefore: opts.notBefore, expiresAt: opts.expiresAt,
        });
        writeFileSync(opts.output, bytes);
        const placement = result.compiled.rules.map((r) => ({ rule: r.id, where: r.placement.where, reason: r.placement.reason }));
        if (format === 'json') {
          printJson({
            ok: true, output: opts.output, bytes: bytes.length, revision, signed: !!key, counts: manifest.counts,
            selfTests: manifest.selfTests.length, sourceCommit: manifest.sourceCommit,
            ...(opts.timings ? { timings: result.timings } : {}),
            ...(opts.explainPlacement ? { placement } : {}),
            diagnostics: diagnostics.length,
          });
          return EXIT_OK;
        }
        const c = manifest.counts;
        const lines = [
          `compiled ${c.enabledRules} rule(s) (${c.rules - c.enabledRules} disabled) from ${loaded.policies.length} polic${loaded.policies.length === 1 ? 'y' : 'ies'}: ${c.predicates} predicates, ${Object.keys(c.eventTypes).length} event type(s)`,
          `placement: ${c.kernelRules} kernel, ${c.userRules} user space (${c.fallbackRules} with per-rule fallbacks)`,
          `wrote ${opts.output} (${bytes.length} bytes, revision ${revision}, ${key ? 'signed' : 'unsigned'}, ${manifest.selfTests.length} self-tests)`,
        ];
        if (opts.timings) {
          lines.push('stage timings:');
          for (const t of result.timings) lines.push(`  ${t.stage.padEnd(10)} ${t.ms.toFixed(2).padStart(9)} ms`);
          lines.push(`  ${'total'.padEnd(10)} ${result.timings.reduce((s, t) => s + t.ms, 0).toFixed(2).padStart(9)} ms`);
        }
        if (opts.explainPlacement) {
          lines.push('placement:');
          for (const p of placement) lines.push(`  ${p.where.padEnd(6)} ${p.rule}: ${p.reason}`);
        }
        process.stdout.write(lines.join('\n') + '\n');
        return EXIT_OK;
      }),
    );
}

async function gitHead(): Promise<string | undefined> {
  const { execFileSync } = await import('node:child_process');
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
