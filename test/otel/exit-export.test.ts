import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLines, tempDir } from '../helpers/harness.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { decodeMetrics, decodeSpans, total } from './otlp-json.js';

/**
 * An app stopped by SIGTERM mid-session (the same child as test/exit.test.ts, with the OTLP
 * endpoint set): before the process dies, the open session is ended and the last spans and
 * the last metric collection reach the collector.
 */
const dist = resolve('dist');
const child = resolve('test/fixtures/exit-child.mjs');

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe('flush on SIGTERM includes OTLP spans and the last metric collection', () => {
  it('delivers the ended session span and metrics counting every JSONL line', async () => {
    const dir = join(tempDir('vme-exit-otlp-'), 'logs');
    const p = spawn(process.execPath, [child, dist, dir, 'signal'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '60000' },
    });
    let out = '';
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((r) =>
      p.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready')) r();
      }),
    );
    p.kill('SIGTERM');
    const signal = await new Promise<NodeJS.Signals | null>((r) => p.once('exit', (_code, s) => r(s)));
    expect(signal).toBe('SIGTERM');
    expect(err).toBe('');

    const lines = readLines(dir);
    const spans = decodeSpans(receiver.traces());
    const session = spans.find((s) => s.name === 'voice.session');
    expect(session?.attributes['session.id']).toBe('exit-signal');
    expect(session!.events.map((e) => e.name)).toContain('SESSION_END');
    const metrics = receiver.metrics();
    expect(metrics.length).toBeGreaterThan(0);
    const points = decodeMetrics(metrics[metrics.length - 1]);
    expect(total(points, 'voice.events')).toBe(lines.length);
    expect(total(points, 'voice.sessions.open')).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
