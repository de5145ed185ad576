import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
// the built CLI's run: its parse workers run dist/reader/parse-worker.js
import { analyzeInputs, WORKERS_FROM_BYTES } from '../../dist/analyze-run.js';

/**
 * summary, anomalies and report parse a small input in their own thread and a large one in
 * parse workers (analyze-run.ts: a worker's start cost more than it saved on today's file:
 * 2,000 events 0.27 → 0.15 CPU-s). Both give the same analysis (the reader's tests compare the
 * two paths event by event: cli/test/reader/parse-workers.test.ts); here, which one runs.
 */
const dir = mkdtempSync(join(tmpdir(), 'vme-small-'));
const small = join(dir, 'voicemode_events_2026-01-05.jsonl');
const large = join(dir, 'large', 'voicemode_events_2026-01-06.jsonl');

beforeAll(async () => {
  mkdirSync(join(dir, 'large'));
  await generateEventsFile(small, { events: 2_000, format: 'ours' });
  // just over the bound: ~235 bytes an event
  await generateEventsFile(large, { events: Math.ceil(WORKERS_FROM_BYTES / 200), format: 'ours' });
}, 60_000);

async function analyse(path: string) {
  return analyzeInputs([path], { json: true }, {}, {});
}

describe('where summary parses', () => {
  it('a small file in this thread, a large one in a parse worker; both read whole', async () => {
    const s = await analyse(small);
    expect(s.stats.parseWorkers).toBe(0);
    expect(s.stats.events).toBeGreaterThanOrEqual(2_000);
    const l = await analyse(join(dir, 'large'));
    expect(l.stats.bytes).toBeGreaterThanOrEqual(WORKERS_FROM_BYTES);
    expect(l.stats.parseWorkers).toBeGreaterThanOrEqual(1);
    expect(l.stats.markedBytes).toBeGreaterThan(0); // the workers' scanner read it
    expect(l.stats.events).toBeGreaterThanOrEqual(Math.ceil(WORKERS_FROM_BYTES / 200));
  }, 60_000);
});
