// One file reached by two paths (a directory and a file in it, a symlink, `./x` and `x`) is
// one file: compared by real path, or by absolute path when it does not exist.

import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

export function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}
