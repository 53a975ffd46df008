// `luna verify <bundle> --pub <name>.pub`: every check an agent runs before activating a
// bundle (size, container, schema, signature, hashes, versions, revision, validity window,
// self-tests). Exit 0 when the bundle would be activated, 2 with the reason otherwise.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

interface VerifyOpts { pub?: string; minRevision?: string; maxBytes?: string; now?: string }

export function register(program: Command): void {
  program
    .command('verify')
    .description('verify a bundle as an agent would before activating it')
    .argument('<bundle>', 'bundle file (.lbundle)')
    .option('--pub <file>', 'pinned Ed25519 public key: the bundle must be signed by it')
    .option('--min-revision <n>', 'the active revision: an older bundle is a rollback and is refused')
    .option('--max-bytes <n>', 'size limit in bytes', String(64 * 1024 * 1024))
    .option('--now <iso>', 'check the validity window at this time instead of now')
    .addHelpText(
      'after',
      `
Refusals have stable codes: LUN4001 too large · LUN4002 malformed/truncated · LUN4003 format
version · LUN4004/4005 manifest · LUN4006 unsigned · LUN4007 bad signature · LUN4008 hash
mismatch · LUN4009 engine too old · LUN4010 rollback · LUN4011 not yet valid · LUN4012 expired
· LUN4013 self-test failed · LUN4014 tables unreadable · LUN4016 event schema mismatch.

Exit codes: 0 valid · 2 refused (reason printed)

Examples:
  luna verify policy.lbundle --pub release.pub
  luna verify policy.lbundle --pub release.pub --min-revision 41
  luna --format json verify policy.lbundle`,
    )
    .action(
      action(async (bundle: string, opts: VerifyOpts, cmd: Command) => {
        const { verifyBundle } = await import('../../bundle/load.ts');
        const format = formatOf(cmd);
        // A garbled --min-revision must not silently switch rollback protection off.
        const whole = (v: string | undefined, name: string): number | undefined => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new Error(`LUN4019: ${name} must be a whole number ≥ 0, not '${v}'`);
          return n;
        };
        const now = opts.now !== undefined ? new Date(opts.now) : undefined;
        if (now && Number.isNaN(now.getTime())) throw new Error(`LUN4019: --now must be an ISO date/time, not '${opts.now}'`);
        const r = verifyBundle(bundle, {
          publicKey: opts.pub,
          minRevision: whole(opts.minRevision, '--min-revision'),
          maxBytes: whole(opts.maxBytes, '--max-bytes'),
          now,
        });
        if (format === 'json') {
          printJson({
            ok: r.ok, bundle, revision: r.manifest?.revision, verified: r.bundle?.verified ?? false, keyId: r.bundle?.keyId,
            selfTests: r.manifest?.selfTests.length, loadMs: r.bundle ? Math.round(r.bundle.loadMs * 10) / 10 : undefined, diagnostics: r.diagnostics,
          });
        } else if (r.ok && r.bundle) {
          const b = r.bundle;
          process.stdout.write(`ok: ${bundle} revision ${b.manifest.revision}, ${b.verified ? `signature verified (key ${b.keyId})` : 'signature not checked (no --pub)'}, ${b.manifest.selfTests.length} self-tests passed, loaded in ${b.loadMs.toFixed(1)} ms\n`);
        } else printDiagnostics(r.diagnostics, format);
        return r.ok ? EXIT_OK : EXIT_USAGE;
      }),
    );
}
