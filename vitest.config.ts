import { testConfig } from './vitest.shared.js';

/** Both packages' tests: the library's in test/, the CLI's in cli/test/. */
export default testConfig(['test/**/*.test.ts', 'cli/test/**/*.test.ts']);
