import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disagreements, duckSummary } from '../bench/duckdb-peer.js';
import { generateEventsFile } from '../bench/generate-events.js';

/**
 * The bench's DuckDB peer (issue 14 item 1) must compute the same metrics as `summary --json`
 * before its time means anything: on a generated file the two agree on events, sessions and
 * every metric's count and mean, and a changed count or mean is reported as a disagreement
 * (which fails the bench).
 */
const cli = 'cli/dist/main.js';
const dir = mkdtempSync(join(tmpdir(), 'vme-duck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DuckDB peer of the bench', () => {
  it.skipIf(!existsSync(cli))('agrees with summary --json on a generated file, and a disagreement is caught', { timeout: 60_000 }, async () => {
    const file = join(dir, 'events.jsonl');
    await generateEventsFile(file, { events: 6000, seed: 7, malformedEvery: 997 });
    const out = spawnSync(process.execPath, [cli, 'summary', '--json', file], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const summary = JSON.parse(out.stdout) as Parameters<typeof disagreements>[1];
    const duck = await duckSummary(file);
    expect(Object.keys(duck.metrics).sort()).toEqual(
      ['llm_duration', 'llm_ttft', 'recording_duration', 'response_time', 'stt_latency', 'ttfa', 'tts_playback', 'voice_to_voice'],
    );
    expect(duck.metrics.ttfa!.count).toBeGreaterThan(100);
    expect(disagreements(duck, summary)).toEqual([]);

    const off = structuredClone(summary);
    off.metrics.ttfa!.count += 1;
    off.metrics.stt_latency!.mean = off.metrics.stt_latency!.mean! + 0.001;
    off.sessions += 1;
    const diff = disagreements(duck, off);
    expect(diff).toHaveLength(3);
    expect(diff.join('\n')).toMatch(/ttfa count/);
    expect(diff.join('\n')).toMatch(/stt_latency mean/);
    // a metric summary reports that the SQL does not compute is a disagreement too
    const extra = structuredClone(summary);
    extra.metrics.endpointing_delay = { count: 3, mean: 0.2 };
    expect(disagreements(duck, extra)).toEqual(['endpointing_delay: only in summary']);
  });
});
