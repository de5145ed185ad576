import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from './pipeline.js';

const SCRIPT = join(import.meta.dirname, '../../../test/fixtures/spec_event_logger.py');
const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython && !process.env.CI) console.warn('skipping: python3 is not installed');

describe.skipIf(!hasPython && !process.env.CI)("a log written by the spec's own Python EventLogger", () => {
  it("gives the same TTFA values as the spec's analysis snippet, and positive response times where the sketch's are negative", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-py-'));
    const out = JSON.parse(execFileSync('python3', [SCRIPT, dir], { encoding: 'utf8' })) as {
      file: string;
      ttfa: number[];
      avg_ttfa: number;
      end_session: { response_time: number }[];
    };
    const { values, analysis, stats } = await analyze([out.file]);
    expect(stats.skippedLines).toBe(0);
    expect(values.ttfa).toEqual([...out.ttfa].sort((a, b) => a - b).map((v) => Math.round(v * 1e6) / 1e6));
    expect(analysis.metrics.ttfa.mean!).toBeCloseTo(out.avg_ttfa, 9);
    // the sketch pairs the first RECORDING_END with the first TTS_START: negative
    for (const m of out.end_session) expect(m.response_time).toBeLessThan(0);
    expect(values.response_time).toHaveLength(6);
    for (const v of values.response_time) expect(v).toBeGreaterThan(0);
    expect(analysis.sessions).toBe(2);
  });
});
