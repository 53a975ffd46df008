// `luna keygen -o <name>`: an Ed25519 key pair for signing bundles: <name>.key (PKCS#8 PEM,
// mode 0600) and <name>.pub (SPKI PEM). Never overwrites without --force.
import type { Command } from 'commander';
import { action, formatOf, printDiagnostics, printJson } from '../output.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';

export function register(program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 key pair for signing bundles')
    .requiredOption('-o, --output <name>', 'writes <name>.key (private, mode 0600) and <name>.pub')
    .option('--force', 'overwrite existing key files')
    .addHelpText(
      'after',
      `
Keep <name>.key secret (CI signing secret); ship <name>.pub to agents, which then refuse
unsigned or differently signed bundles.

Examples:
  luna keygen -o release                 → release.key, release.pub
  luna compile rules/ -o p.lbundle --key release.key
  luna verify p.lbundle --pub release.pub`,
    )
    .action(
      action(async (opts: { output: string; force?: boolean }, cmd: Command) => {
        const { existsSync, writeFileSync, chmodSync } = await import('node:fs');
        const { generateSigningKeys } = await import('../../bundle/keys.ts');
        const format = formatOf(cmd);
        const keyPath = `${opts.output}.key`;
        const pubPath = `${opts.output}.pub`;
        for (const p of [keyPath, pubPath]) {
          if (existsSync(p) && !opts.force) {
            printDiagnostics([{ code: 'LUN4015', severity: 'error', message: `${p} already exists (use --force to overwrite)`, file: p }], format);
            return EXIT_USAGE;
          }
        }
        const k = generateSigningKeys();
        writeFileSync(keyPath, k.privatePem, { mode: 0o600 });
        chmodSync(keyPath, 0o600);
        writeFileSync(pubPath, k.publicPem, { mode: 0o644 });
        if (format === 'json') printJson({ ok: true, privateKey: keyPath, publicKey: pubPath, keyId: k.keyId });
        else process.stdout.write(`wrote ${keyPath} (private, 0600) and ${pubPath}; key id ${k.keyId}\n`);
        return EXIT_OK;
      }),
    );
}
