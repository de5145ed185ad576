import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimestampUs } from '../../../test/helpers/lib.js';
import { jaegerGet, tagMap, type JaegerTrace } from './jaeger.js';
import { eventually, stackSkipReason, startStack, type Stack } from './stack.js';

/**
 * `replay` of a production-style log (the Python writer's variants: +00:00 offsets, no
 * fraction, session_id null, no trace or span ids) into the real collector shows up in Jaeger.
 */
const skip = stackSkipReason('test/stack/replay.test.ts', ['collector', 'jaeger']);
const bin = resolve('cli/dist/main.js');
const FIXTURE = resolve('test/fixtures/python-variant.jsonl');
const SERVICE = `voicemode-replay-${process.pid}`;
const run = promisify(execFile);

let stack: Stack;
let stdout = '';
let traces: JaegerTrace[] = [];
const fixture = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return []; // blank and torn lines: replay skips them too
    }
  });

beforeAll(async () => {
  if (skip) return;
  stack = await startStack('jaeger', 'collector');
  ({ stdout } = await run(process.execPath, [bin, 'replay', FIXTURE, '--endpoint', stack.otlpHttp, '--service-name', SERVICE], { encoding: 'utf8' }));
  const times = fixture.map((l) => parseTimestampUs(l.timestamp as string));
  const query = new URLSearchParams({
    service: SERVICE,
    start: String(Math.min(...times) - 3_600_000_000),
    end: String(Math.max(...times) + 3_600_000_000),
    limit: '100',
  });
  const [, spans] = /(\d+) span\(s\)/.exec(stdout)!;
  traces = await eventually('the replayed spans in Jaeger', async () => {
    const r = await jaegerGet<JaegerTrace[]>(`${stack.jaeger}/api/traces?${query}`);
    const n = (r.data ?? []).reduce((a, t) => a + t.spans.length, 0);
    return n === Number(spans) ? r.data : undefined;
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe.skipIf(skip)('replay of a production-style log into the real collector', () => {
  it('is listed under its service name, with every span and every event replay reported', async () => {
    const services = await jaegerGet<string[]>(`${stack.jaeger}/api/services`);
    expect(services.data).toContain(SERVICE);
    const [, sessions, spans, events] = /Replayed (\d+) session\(s\), (\d+) span\(s\), (\d+) event\(s\)/.exec(stdout)!;
    expect(traces.reduce((a, t) => a + t.spans.length, 0)).toBe(Number(spans));
    expect(traces.reduce((a, t) => a + t.spans.reduce((b, s) => b + s.logs.length, 0), 0)).toBe(Number(events));
    const ids = new Set(fixture.map((l) => l.session_id).filter((s) => s !== null));
    expect(Number(sessions)).toBe(ids.size);
    const roots = traces.flatMap((t) => t.spans).filter((s) => s.operationName === 'voice.session');
    expect(new Set(roots.map((s) => tagMap(s.tags).get('session.id')))).toEqual(ids);
  });

  it('keeps the production timestamps to the microsecond (offsets, no fraction)', () => {
    const logged = new Set(traces.flatMap((t) => t.spans.flatMap((s) => s.logs.map((g) => `${g.timestamp} ${tagMap(g.fields).get('event')}`))));
    for (const l of fixture) expect(logged, `${l.timestamp} ${l.event_type}`).toContain(`${parseTimestampUs(l.timestamp as string)} ${l.event_type}`);
  });
});
