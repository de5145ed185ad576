import { testConfig } from '../vitest.shared.js';

/** The CLI's tests alone (`npm test -w voicemode-events-cli`); they run from the repository root. */
export default testConfig(['cli/test/**/*.test.ts']);
