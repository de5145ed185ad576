import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // one temp root per run, removed at the end; known warnings captured, not printed
    globalSetup: ['test/helpers/global-tmp.ts'],
    setupFiles: ['test/helpers/quiet-warnings.ts'],
  },
});
