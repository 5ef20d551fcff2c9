import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real PostgreSQL servers; two cores, so at most two files at once.
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/global-setup.ts'],
    // runs through the CLI neither clone nor keep dataset snapshots (test/snapshot*.test.ts opt in)
    // and bin/rehearse.js runs the TypeScript sources even where a built dist/ matches them
    env: { PG_REHEARSE_NO_CACHE: '1', PG_REHEARSE_SOURCES: '1' },
  },
});
