import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // BPF, scanner and database tests share machine-wide resources: run files one at a time
    // within a pool of forks so a crash in one file cannot take the others down.
    pool: 'forks',
    reporters: ['default'],
  },
});
