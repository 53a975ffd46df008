// `luna demo`: Luna's main job on built-in samples, as the commands a user would type:
// check and test the example policies, import the example Sigma rules, compile everything
// into a signed bundle, verify it, and hunt the sample logs with it.

import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { action } from '../output.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'runtime/cli/main.ts');

interface Step {
  title: string;
  args: string[];
  /** Exit codes that mean the step worked (hunt exits 1 when it found something). */
  ok: number[];
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the built-in demo: check, test, import, compile, sign and hunt the sample logs')
    .option('--keep', 'keep the work folder (bundle, keys, imported rules) and print its path')
    .addHelpText('after', '\nEverything it uses ships in examples/: policies, Sigma rules, sample logs.\nEach step prints the luna command it runs, so you can run them yourself.')
    .action(
      action(async (opts: { keep?: boolean }) => {
        const work = mkdtempSync(join(tmpdir(), 'luna-demo-'));
        const ex = (p: string) => relative(process.cwd(), join(ROOT, 'examples', p)) || '.';
        const bundle = join(work, 'demo.lbundle');
        const key = join(work, 'demo');
        const policies = [ex('linux'), ex('windows')];
        const steps: Step[] = [
          { title: 'Check the example policies (parse + type-check)', args: ['check', ...policies], ok: [0] },
          { title: 'Run their inline tests (reference interpreter and compiled tables)', args: ['test', ...policies], ok: [0] },
          { title: 'Import the example Sigma rules as readable .luna', args: ['import', 'sigma', ex('sigma'), '-o', join(work, 'sigma')], ok: [0] },
          { title: 'Create a signing key', args: ['keygen', '-o', key], ok: [0] },
          { title: 'Compile policies + Sigma rules into a signed bundle', args: ['compile', ...policies, ex('sigma'), '-o', bundle, '--key', `${key}.key`], ok: [0] },
          { title: 'Verify the bundle', args: ['verify', bundle, '--pub', `${key}.pub`], ok: [0] },
          { title: 'Hunt the sample logs with the bundle', args: ['hunt', '--rules', bundle, ex('logs')], ok: [0, 1] },
        ];
        // Bold headings on a terminal only: piped or logged output stays plain text.
        const bold = process.stdout.isTTY === true && !process.env.NO_COLOR;
        try {
          for (const [i, step] of steps.entries()) {
            const heading = `[${i + 1}/${steps.length}] ${step.title}`;
            process.stdout.write(`\n${bold ? `\x1b[1m${heading}\x1b[0m` : heading}\n$ luna ${step.args.join(' ')}\n`);
            const r = spawnSync(process.execPath, [MAIN, ...step.args], { stdio: 'inherit' });
            if (!step.ok.includes(r.status ?? -1)) {
              process.stderr.write(`demo: step ${i + 1} failed (exit ${r.status ?? r.signal})\n`);
              return 2;
            }
          }
          process.stdout.write(`\nDone. ${opts.keep ? `Bundle, keys and imported rules are in ${work}` : 'Run with --keep to keep the bundle and keys.'}\n`);
          return 0;
        } finally {
          if (!opts.keep) rmSync(work, { recursive: true, force: true });
        }
      }),
    );
}
