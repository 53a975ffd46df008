// `npm run bench`: runs every bench/*.bench.ts in its own process, one after another (so one
// benchmark's garbage and JIT state never colour another's), and prints their figures.
// Each benchmark prints its own table of medians and ratios measured side by side.

import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const r = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${file} exited with ${r.status ?? r.signal})\n`);
  }
}
process.exitCode = failed ? 1 : 0;
