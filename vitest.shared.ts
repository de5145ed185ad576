import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * In tests the CLI's imports of the library (`voicemode-events`, `/sdk`, `/metrics`,
 * `/internal`) load the library's TypeScript sources, the same modules the tests import, so
 * there is one copy of each module-level registry (the live bus, the global provider) in a
 * test process. Processes the tests spawn run the built packages.
 */
const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
export const libraryAliases = [
  { find: /^voicemode-events\/sdk$/, replacement: src('sdk/index.ts') },
  { find: /^voicemode-events\/metrics$/, replacement: src('metrics/index.ts') },
  { find: /^voicemode-events\/internal$/, replacement: src('internal.ts') },
  { find: /^voicemode-events$/, replacement: src('index.ts') },
];

/** The test settings both packages share; `include` says whose tests run. Paths are relative to the repository root. */
export function testConfig(include: string[]) {
  return defineConfig({
    root: fileURLToPath(new URL('.', import.meta.url)),
    resolve: { alias: libraryAliases },
    test: {
      include,
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // one temp root per run, removed at the end; known warnings captured, not printed
      globalSetup: ['test/helpers/global-tmp.ts'],
      setupFiles: ['test/helpers/quiet-warnings.ts'],
    },
  });
}
