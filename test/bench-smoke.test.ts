import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTable, runBench, SMOKE } from '../bench/run.js';

/**
 * A smoke run of `npm run bench` with tiny sizes: every item runs end to end and reports the
 * keys issue 5 asks for, as finite numbers. Nothing here is timed or compared: the numbers of
 * a run this small mean nothing (the real run is `npm run bench`, see docs/performance.md).
 */
const REQUIRED = [
  'event_ns_p50',
  'event_ns_p99',
  'pino_ns_p50',
  'otel_event_ns_p50',
  'events_per_sec',
  'pino_events_per_sec',
  'op_ns_p50',
  'otel_op_ns_p50',
  'llm_op_ns_p50',
  'otel_llm_op_ns_p50',
  'turn_ns_p50',
  'otel_turn_ns_p50',
  'turn_cpu_ns',
  'otel_turn_cpu_ns',
  'turn_by_hand_ns_p50',
  'loop_delay_p99_ms',
  'loop_delay_max_ms',
  'rss_growth_mb',
  'summary_mb_per_sec',
  'jq_mb_per_sec',
  'parse_mb_per_sec',
  'duck_wall_s',
  'duck_cpu_s',
  'duck_rss_mb',
  'summary_wall_s',
  'summary_cpu_s',
  'summary_rss_mb',
  'summary_daily_cpu_s',
  'summary_daily_wall_s',
  'parse_cpu_s',
  'help_ms',
  'summary_empty_ms',
  'timeline_s',
  'query_s',
  'grep_s',
] as const;

const hasJq = spawnSync('jq', ['--version']).status === 0;
const hasCli = existsSync('cli/dist/main.js');

describe('bench smoke run (tiny sizes, no timing assertions)', () => {
  it('runs every item and reports every key as a finite number', { timeout: 120_000 }, async () => {
    if (!hasJq) console.warn(`bench smoke: jq not installed: jq_mb_per_sec not checked${process.env.CI ? ' (failing: CI)' : ''}`);
    if (!hasCli) console.warn('bench smoke: cli/dist/main.js missing (npm run build): summary_mb_per_sec not checked');
    const result = await runBench({ sizes: SMOKE, mode: 'smoke', memoryInProcess: true });
    // The --json line is JSON.stringify of this object: it must survive the round trip.
    const json = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
    for (const key of REQUIRED) {
      if (key === 'jq_mb_per_sec' && !hasJq && !process.env.CI) continue;
      if ((key.startsWith('summary_') || key.startsWith('duck_') || key === 'help_ms' || key === 'timeline_s' || key === 'query_s') && !hasCli && !process.env.CI) continue;
      expect(json, key).toHaveProperty(key);
      expect(Number.isFinite(json[key]), `${key} = ${String(json[key])}`).toBe(true);
    }
    expect(result.lines_verified).toBe(true);
    if (hasCli) expect(result.duck_agrees, 'DuckDB and summary --json agree on counts and means').toBe(true);
    expect(Object.keys(result.targets).length).toBeGreaterThan(0);
    const table = renderTable(result);
    for (const row of ['event', 'sustained', 'operation', 'whole turn', 'event-loop delay', 'RSS growth', 'summary']) expect(table).toContain(row);
    if (hasCli) expect(table).toContain('100 daily files');
  });
});
