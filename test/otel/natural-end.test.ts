import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
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

describe('an app that ends naturally while the collector hangs (issue 16, item 8)', () => {
  it('exits within one exit deadline whatever the number of pending batches; the JSONL file is complete', async () => {
    // accepts every request and never answers
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const times: Record<number, number> = {};
    try {
      for (const sessions of [1, 400]) {
        const dir = join(tempDir(), 'logs');
        const t0 = performance.now();
        const p = spawn(process.execPath, [resolve('test/fixtures/hang-end-child.mjs'), resolve('dist'), dir, String(sessions), '1000'], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
        });
        let stderr = '';
        p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        expect(await new Promise((r) => p.on('close', r))).toBe(0);
        times[sessions] = performance.now() - t0;
        const lines = readLines(dir);
        expect(lines.filter((l) => l.event_type === 'SESSION_END')).toHaveLength(sessions);
        expect(stderr.match(/warning/g)?.length ?? 0).toBeLessThanOrEqual(2); // one per signal at most
      }
      console.log(`[measure] natural end, hanging collector, 1 s exit budget: 1 session ${times[1]!.toFixed(0)} ms, 400 sessions ${times[400]!.toFixed(0)} ms`);
      // before: each pending batch waited for its request timeout (10 s) in turn: 10.6 s and 30.4 s
      expect(times[1]).toBeLessThan(4000);
      expect(times[400]).toBeLessThan(4000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);
});
