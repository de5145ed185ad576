import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReportData } from '../../src/report/report-data.js';
import { analyze } from './pipeline.js';

/**
 * A line's `turn` is any non-negative integer the reader accepts (exact up to 2^53). The sample
 * store's detail columns once kept it in an Int32Array: a turn above 2^31 - 1 wrapped to a
 * negative number in the anomalies' outliers and the report's rows.
 */
describe('turns beyond 32 bits in the sample details', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vme-large-turns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reach the outliers and the report exactly', async () => {
    const turn = 2 ** 31 + 5; // Int32Array would store -2147483643
    const big = 2 ** 40 + 3; // beyond 32 bits altogether
    const lines: string[] = [];
    let us = Date.UTC(2026, 0, 5, 9) * 1000;
    const at = (): string => new Date(us / 1000).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}Z`);
    const line = (type: string, t: number, span: string, data: Record<string, unknown> = {}): void => {
      lines.push(JSON.stringify({ timestamp: at(), event_type: type, session_id: 's1', data, turn: t, span_id: span }));
    };
    line('SESSION_START', 0, 'root');
    for (let i = 0; i < 12; i++) {
      const t = i === 11 ? big : i < 5 ? 3 : turn; // small turns first: the column widens with samples in it
      const span = `tts${String(i).padStart(13, '0')}`;
      us += 1000;
      line('TTS_START', t, span, { provider: 'p' });
      us += i === 11 ? 5_000_000 : 100_000 + i * 1000; // the last one is the outlier
      line('TTS_FIRST_AUDIO', t, span);
    }
    us += 1000;
    line('SESSION_END', 0, 'root');
    const file = join(dir, 'voicemode_events_2026-01-05.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');

    const { analysis } = await analyze([file]);
    expect(Array.from(analysis.store.column('ttfa').turn!.arr)).toEqual([...Array<number>(5).fill(3), ...Array<number>(6).fill(turn), big]);
    const outliers = analysis.anomalies.outliers.filter((o) => o.metric === 'ttfa');
    expect(outliers.map((o) => o.turn)).toEqual([big]);
    const report = buildReportData(analysis, [file], 0, {});
    const slow = report.slowest.filter((s) => s.metric === 'ttfa');
    expect(slow[0]!.turn).toBe(big);
    expect(slow.slice(1).every((s) => s.turn === turn || s.turn === 3)).toBe(true);
  });
});
