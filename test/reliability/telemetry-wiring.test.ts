import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../helpers/lib.js';
import { tempDir } from '../helpers/harness.js';
import { mountTmpfs, requireOrSkip } from '../helpers/tmpfs.js';
import { freePort } from '../otel/net.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function telemetry(options: Parameters<typeof startTelemetry>[0]): Telemetry {
  const t = startTelemetry({ register: false, handleExit: false, env: {}, warn: () => undefined, ...options });
  cleanups.push(() => t.shutdown());
  return t;
}

describe('startTelemetry reliability wiring', () => {
  it('exposes dropped events through the API and the voice.events.dropped metric', async () => {
    const fs = mountTmpfs(64 * 1024);
    if (!requireOrSkip(fs !== undefined, 'mounting a tmpfs (root)')) return;
    cleanups.push(() => fs!.unmount());
    writeFileSync(join(fs!.path, 'filler'), Buffer.alloc(64 * 1024 - 4096));
    const port = await freePort();
    const t = telemetry({ dir: join(fs!.path, 'logs'), maxBufferedBytes: 32 * 1024, metrics: { prometheus: { port } } });
    for (let i = 0; i < 2000; i++) t.voice.logEvent('TOOL_REQUEST_START', { i, pad: 'z'.repeat(50) });
    const t0 = Date.now();
    while (t.droppedEvents() === 0 && Date.now() - t0 < 3000) await sleep(20);
    expect(t.droppedEvents()).toBeGreaterThan(0);
    await t.exports.meters!.prometheus!.ready;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^voice_events_dropped_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    expect(m, text.slice(0, 500)).not.toBeNull();
    expect(Number(m![1])).toBe(t.droppedEvents());
  });

  it('applies VOICEMODE_EVENT_LOG_RETENTION_DAYS at start: old files go, recent ones stay', async () => {
    const dir = join(tempDir(), 'logs');
    mkdirSync(dir);
    const old = join(dir, 'voicemode_events_2020-01-01.jsonl');
    const recent = join(dir, `voicemode_events_${new Date().toISOString().slice(0, 10)}.jsonl`);
    writeFileSync(old, '{}\n');
    writeFileSync(recent, '{}\n');
    // last written on its date, as a real file is (retention spares files written in the last hour)
    utimesSync(old, new Date('2020-01-01T23:00:00Z'), new Date('2020-01-01T23:00:00Z'));
    telemetry({ dir, env: { VOICEMODE_EVENT_LOG_RETENTION_DAYS: '30' } });
    const t0 = Date.now();
    while (existsSync(old) && Date.now() - t0 < 3000) await sleep(20);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    rmSync(dir, { recursive: true });
  });
});

describe('sampling', () => {
  it('OTEL_TRACES_SAMPLER does not thin out the JSONL files: every session is written', async () => {
    const dir = join(tempDir(), 'logs');
    // the SDK reads these from process.env itself
    process.env.OTEL_TRACES_SAMPLER = 'traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0.1';
    let t: Telemetry;
    try {
      t = telemetry({ dir });
    } finally {
      delete process.env.OTEL_TRACES_SAMPLER;
      delete process.env.OTEL_TRACES_SAMPLER_ARG;
    }
    for (let i = 0; i < 20; i++) await t.voice.session(async (s) => s.logEvent('CUSTOM_MARK'));
    await t.forceFlush();
    const { readLines } = await import('../helpers/harness.js');
    expect(readLines(dir).filter((l) => l.event_type === 'SESSION_START')).toHaveLength(20);
  });
});
