import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runConversation } from '../../src/demo/conversation.js';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../../../test/helpers/lib.js';
import { readLines, tempDir } from '../../../test/helpers/harness.js';
import { freePort, sleep } from '../../../test/otel/net.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.js';
import { decodeSpans } from '../../../test/otel/otlp-json.js';

/**
 * The collector down, answering 500, or hanging: the app and its JSONL file carry on, one
 * warning per outage (never a secret in it), bounded memory, recovery when it returns, and
 * no unhandled rejection.
 */
const rejections: unknown[] = [];
const onRejection = (r: unknown): void => void rejections.push(r);
beforeAll(() => void process.on('unhandledRejection', onRejection));
afterAll(() => void process.off('unhandledRejection', onRejection));

interface Run {
  telemetry: Telemetry;
  dir: string;
  warnings: string[];
  notices: string[];
}

const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) {
    await r.telemetry.shutdown();
    rmSync(r.dir, { recursive: true, force: true });
  }
});

function start(endpoint: string, extra: Partial<TelemetryOptions> = {}): Run {
  const dir = join(tempDir('vme-outage-'), 'logs');
  const warnings: string[] = [];
  const notices: string[] = [];
  const telemetry = startTelemetry({
    dir,
    env: {},
    register: false,
    handleExit: false,
    flushIntervalMs: 20,
    otlp: { endpoint, timeoutMillis: 300, headers: { authorization: 'Bearer SECRET-TOKEN-123' } },
    batch: { scheduledDelayMillis: 20, maxExportBatchSize: 20 },
    metrics: { exportIntervalMillis: 100 },
    warn: (m) => warnings.push(m),
    notice: (m) => notices.push(m),
    ...extra,
  });
  const r = { telemetry, dir, warnings, notices };
  runs.push(r);
  return r;
}

/** A few conversations (many spans, several batches and metric exports); resolves when the app is done. */
async function converse(t: Telemetry, sessions = 2, seed = 1): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, (_, i) =>
      runConversation(t.voice, { turns: 3, seed: seed + i, speed: 200, errorRate: 0.2 }),
    ),
  );
  return performance.now() - t0;
}

/** SESSION_END lines on disk once the JSONL sink (only it) has flushed. */
async function sessionsInFile(dir: string, t?: Telemetry): Promise<{ ends: number; lines: number }> {
  await t?.jsonl?.forceFlush();
  const lines = readLines(dir);
  return { ends: lines.filter((l) => l.event_type === 'SESSION_END').length, lines: lines.length };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(20);
  }
}

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe('OTLP endpoint outages', () => {
  it('endpoint down (connection refused): app and JSONL unaffected, one warning without secrets', async () => {
    const port = await freePort();
    const r = start(`http://user:hunter2@127.0.0.1:${port}/otlp?token=qs-secret`);
    await converse(r.telemetry, 2, 1);
    await converse(r.telemetry, 2, 5);
    await sleep(300); // several more metric exports and span batches fail
    await r.telemetry.forceFlush();
    expect((await sessionsInFile(r.dir, r.telemetry)).ends).toBe(4);
    expect(r.warnings).toHaveLength(1);
    const w = r.warnings[0]!;
    expect(w).toContain(`http://127.0.0.1:${port}/otlp/v1/`);
    expect(w).toMatch(/ECONNREFUSED|export failed/);
    expect(w).toContain('JSONL files are unaffected');
    for (const secret of ['hunter2', 'user:', 'qs-secret', 'SECRET-TOKEN-123', 'Bearer']) expect(w).not.toContain(secret);
    expect(r.notices).toEqual([]);
    expect(rejections).toEqual([]);
  });

  it('HTTP 500: one warning per outage, recovery notice when it answers again, a new outage warns again', async () => {
    receiver.mode = 'error500';
    const before = receiver.requests.length;
    const r = start(receiver.url);
    await converse(r.telemetry, 2, 21);
    await sleep(300);
    await r.telemetry.forceFlush();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('HTTP 500');
    expect(receiver.requests.length).toBe(before); // nothing accepted

    receiver.mode = 'ok';
    const t0 = Date.now();
    await converse(r.telemetry, 1, 31);
    await waitFor(() => r.notices.length === 1);
    const recoveryMs = Date.now() - t0;
    expect(r.notices[0]).toMatch(/recovered after [\d.]+ s \((\d+) failed export\(s\)/);
    const failed = Number(/\((\d+) failed/.exec(r.notices[0]!)![1]);
    expect(failed).toBeGreaterThan(2); // many failed batches, still one warning
    await r.telemetry.forceFlush();
    const after = decodeSpans(receiver.traces().slice(0)).filter((s) => s.resource['service.name'] === 'voicemode');
    expect(after.some((s) => s.name === 'voice.session')).toBe(true);
    expect(recoveryMs).toBeLessThan(2000);

    receiver.mode = 'error500';
    await converse(r.telemetry, 1, 41);
    await sleep(200);
    await r.telemetry.forceFlush();
    receiver.mode = 'ok';
    expect(r.warnings).toHaveLength(2);
    expect((await sessionsInFile(r.dir, r.telemetry)).ends).toBe(4);
    expect(rejections).toEqual([]);
    console.log(`[measure] 500 outage: ${failed} failed exports -> 1 warning; recovery notice ${recoveryMs} ms after the endpoint returned`);
  });

  it('hanging endpoint: the app runs at full speed, the JSONL file is complete, exports time out, then recover', async () => {
    const base = start(receiver.url, { otlp: false, metrics: false });
    const baseline = await converse(base.telemetry, 2, 51);

    receiver.mode = 'hang';
    const r = start(receiver.url);
    const hung = await converse(r.telemetry, 2, 51);
    expect(hung).toBeLessThan(baseline * 2 + 200);
    await sleep(500);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('timed out');
    expect((await sessionsInFile(r.dir, r.telemetry)).ends).toBe(2);

    receiver.mode = 'ok';
    await converse(r.telemetry, 1, 61);
    await waitFor(() => r.notices.length === 1);
    const t0 = performance.now();
    receiver.mode = 'hang';
    await r.telemetry.shutdown(); // bounded by the request timeout, not stuck
    const shutdownMs = performance.now() - t0;
    receiver.mode = 'ok';
    expect(shutdownMs).toBeLessThan(3000);
    expect(rejections).toEqual([]);
    console.log(`[measure] hang: app ${hung.toFixed(0)} ms vs ${baseline.toFixed(0)} ms without export; shutdown against a hanging endpoint ${shutdownMs.toFixed(0)} ms`);
  });

  it('slow to accept (each request answered after 250 ms): no warning, nothing lost, the app unaffected', async () => {
    const slow = await startOtlpReceiver();
    slow.mode = 'slow';
    slow.slowMs = 250;
    try {
      const r = start(slow.url, { otlp: { endpoint: slow.url, timeoutMillis: 2000 } });
      const ms = await converse(r.telemetry, 2, 71);
      await r.telemetry.forceFlush();
      const fileSpans = new Set(readLines(r.dir).map((l) => l.span_id as string));
      const sent = new Set(decodeSpans(slow.traces()).map((s) => s.spanId));
      expect([...fileSpans].filter((id) => !sent.has(id))).toEqual([]); // every span of the file reached the collector
      expect(r.warnings).toEqual([]);
      expect(rejections).toEqual([]);
      console.log(`[measure] slow collector (250 ms per request): app ${ms.toFixed(0)} ms, ${sent.size} spans delivered, 0 warnings`);
    } finally {
      await slow.close();
    }
  });

  it('memory stays bounded by the span queue while the endpoint hangs', async () => {
    receiver.mode = 'hang';
    const r = start(receiver.url, { batch: { maxQueueSize: 20, maxExportBatchSize: 10, scheduledDelayMillis: 20 } });
    const bsp = r.telemetry.exports.spanProcessors[0] as unknown as { _finishedSpans: unknown[] };
    let maxQueued = 0;
    const probe = setInterval(() => (maxQueued = Math.max(maxQueued, bsp._finishedSpans.length)), 2);
    let spansMade = 0;
    for (let i = 0; i < 8; i++) {
      await converse(r.telemetry, 4, 100 + i * 10);
      maxQueued = Math.max(maxQueued, bsp._finishedSpans.length);
    }
    clearInterval(probe);
    await r.telemetry.jsonl!.forceFlush();
    const lines = readLines(r.dir);
    spansMade = new Set(lines.map((l) => l.span_id)).size;
    expect(spansMade).toBeGreaterThan(300);
    expect(maxQueued).toBeLessThanOrEqual(20);
    expect((await sessionsInFile(r.dir, r.telemetry)).ends).toBe(32);
    expect(r.warnings).toHaveLength(1);
    receiver.mode = 'ok';
    expect(rejections).toEqual([]);
    console.log(`[measure] queue bound 20: ${spansMade} spans made while hanging, at most ${maxQueued} queued`);
  });

  it('shutdown waits at most the exit budget for OTLP, and still writes the whole JSONL file', async () => {
    const port = await freePort();
    const r = start(`http://127.0.0.1:${port}`, {
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 5000 }, // retries for up to 5 s
      shutdownTimeoutMillis: 400,
    });
    await converse(r.telemetry, 2, 71);
    const t0 = performance.now();
    await r.telemetry.shutdown();
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1200);
    expect((await sessionsInFile(r.dir)).ends).toBe(2);
    console.log(`[measure] shutdown with a refused endpoint and a 400 ms budget: ${ms.toFixed(0)} ms`);
  });

  it('OTEL_SDK_DISABLED=true: no OTLP, no metrics, the JSONL file still written', async () => {
    const dir = join(tempDir('vme-disabled-'), 'logs');
    const before = receiver.requests.length;
    const t = startTelemetry({ dir, env: { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, register: false, handleExit: false });
    runs.push({ telemetry: t, dir, warnings: [], notices: [] });
    expect(t.exports.spanProcessors).toHaveLength(0);
    expect(t.exports.meters).toBeUndefined();
    await converse(t, 1, 7);
    await t.shutdown();
    expect(receiver.requests.length).toBe(before);
    expect((await sessionsInFile(dir)).ends).toBe(1);
  });

  it('resolves endpoints like the spec: generic gets /v1/<signal>, signal-specific verbatim, none = no export', async () => {
    const { resolveOtlp: resolveParsed } = await import('../../../test/helpers/lib.js');
    const { readOtelEnv } = await import('../../../src/environment.js');
    const resolveOtlp = (o: false | undefined, env: Record<string, string>) => resolveParsed(o, readOtelEnv(env));
    const a = resolveOtlp(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9/x' });
    expect(a.traces?.url).toBe('http://c:4318/v1/traces');
    expect(a.metrics?.url).toBe('http://m:9/x');
    const b = resolveOtlp(undefined, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/tr',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=x%3Dy',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1234',
    });
    expect(b.traces).toEqual({ url: 'http://t:1/tr', headers: { a: '2', b: 'x=y' }, timeoutMillis: 1234 });
    expect(b.metrics).toBeUndefined();
    expect(resolveOtlp(undefined, {})).toEqual({ traces: undefined, metrics: undefined });
    // an endpoint given in code wins over every variable, the signal-specific ones included
    const inCode = resolveParsed({ endpoint: 'http://code:1' }, readOtelEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:2/t' }));
    expect(inCode.traces?.url).toBe('http://code:1/v1/traces');
    expect(resolveOtlp(false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).traces).toBeUndefined();
  });
});
