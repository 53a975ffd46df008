// `luna sign <bundle> --key <name>.key`: (re)sign a bundle's manifest with Ed25519.
import type { Command } from 'commander';
import { action, formatOf, printJson } from '../output.ts';
import { EXIT_OK } from '../exit-codes.ts';

export function register(program: Command): void {
  program
    .command('sign')
    .description('sign (or re-sign) a bundle with an Ed25519 private key')
    .argument('<bundle>', 'bundle file (.lbundle)')
    .requiredOption('--key <file>', 'Ed25519 private key (PEM), e.g. from luna keygen')
    .option('-o, --output <file>', 'write the signed bundle here (default: in place)')
    .addHelpText(
      'after',
      `
Only the signature entry changes; tables and manifest stay byte-identical.

Examples:
  luna sign policy.lbundle --key release.key
  luna sign policy.lbundle --key release.key -o signed.lbundle`,
    )
    .action(
      action(async (bundle: string, opts: { key: string; output?: string }, cmd: Command) => {
        const { readFileSync, writeFileSync } = await import('node:fs');
        const { signBundle } = await import('../../bundle/write.ts');
        const { privateKeyFrom, keyIdOf } = await import('../../bundle/keys.ts');
        const key = privateKeyFrom(opts.key);
        const signed = signBundle(new Uint8Array(readFileSync(bundle)), key, bundle);
        const out = opts.output ?? bundle;
        writeFileSync(out, signed);
        if (formatOf(cmd) === 'json') printJson({ ok: true, output: out, keyId: keyIdOf(key), bytes: signed.length });
        else process.stdout.write(`signed ${out} with key ${keyIdOf(key)}\n`);
        return EXIT_OK;
      }),
    );
}
