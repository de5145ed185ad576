import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLines, tempDir } from '../helpers/harness.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';

describe('an app that exports over OTLP and ends naturally', () => {
  it('exits promptly, after one flush at rest: spans and metrics delivered, no request storm', async () => {
    const receiver = await startOtlpReceiver();
    const dir = join(tempDir(), 'logs');
    try {
      const t0 = performance.now();
      const p = spawn(process.execPath, [resolve('test/fixtures/natural-end-child.mjs'), resolve('dist'), dir], {
        stdio: 'inherit',
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      });
      expect(await new Promise((r) => p.on('close', r))).toBe(0);
      const ms = performance.now() - t0;
      console.log(`natural end with OTLP: exited after ${ms.toFixed(0)} ms, ${receiver.requests.length} requests`);
      expect(ms).toBeLessThan(3000); // it used to spin until the 5 s exit budget ran out
      expect(receiver.requests.length).toBeLessThan(10); // it used to send thousands
      expect(receiver.traces().length).toBeGreaterThan(0);
      expect(receiver.metrics().length).toBeGreaterThan(0);
      expect(readLines(dir).at(-1)).toMatchObject({ event_type: 'SESSION_END' });
    } finally {
      await receiver.close();
    }
  });
});
