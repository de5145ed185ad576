import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';
import { cli, FIX, spawnCli } from './run.js';

/** Issue 16, item 18: output fits the terminal (100 columns when stdout is not one); JSON numbers to the microsecond. */
function longLog(): string {
  const dir = tempDir();
  const sid = 'conv_1750672800_5e1f00';
  const lines: object[] = [{ timestamp: '2025-06-23T10:00:00.000000Z', event_type: 'SESSION_START', session_id: sid, data: {} }];
  for (let i = 0; i < 30; i++) {
    // 0.1 s steps accumulate binary fractions: the mean is 0.30000000000000004-like
    lines.push({ timestamp: `2025-06-23T10:00:${String(1 + i).padStart(2, '0')}.000000Z`, event_type: 'TTS_START', session_id: sid, data: { provider: `a-provider-with-a-long-name-${i % 3}`, message: 'words '.repeat(60) } });
    lines.push({ timestamp: `2025-06-23T10:00:${String(1 + i).padStart(2, '0')}.${String((i % 3) + 1)}00000Z`, event_type: 'TTS_FIRST_AUDIO', session_id: sid, data: {} });
  }
  lines.push({ timestamp: '2025-06-23T10:01:00.000000Z', event_type: 'SESSION_END', session_id: sid, data: {} });
  writeFileSync(join(dir, 'voicemode_events_2025-06-23.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

const widest = (text: string): number => Math.max(...text.split('\n').map((l) => [...l].length));

describe('output width and numbers', () => {
  it.each([
    ['summary --by provider', ['summary', '--by', 'provider']],
    ['summary --by provider (the fixture that was 104 wide)', ['summary', '--by', 'provider', join(FIX, 'python-variant.jsonl')]],
    ['timeline', ['timeline', '--session', 'conv_1750672800_5e1f00']],
    ['anomalies', ['anomalies']],
  ])('%s fits 100 columns when not a terminal', async (_name, args) => {
    const r = await cli(args.length === 4 ? args : [...args, longLog()]);
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(100);
  });

  it('tail shortens the data so each line fits', async () => {
    const child = spawnCli(['tail', longLog(), '--lines', '100', '--interval', '20']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const end = Date.now() + 5000;
      while (!/SESSION_END/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(out).toMatch(/\{"provider":"a-provider.*…$/m);
      expect(widest(out)).toBeLessThanOrEqual(100);
    } finally {
      child.kill();
    }
  });

  it('summary and anomalies --json: numbers rounded to the microsecond', async () => {
    for (const args of [['summary', '--json', '--by', 'provider'], ['anomalies', '--json']]) {
      const r = await cli([...args, longLog()]);
      expect(r.code).toBe(0);
      const long = r.stdout.match(/\d+\.\d{7,}/g);
      expect(long).toBeNull();
    }
    const s = JSON.parse((await cli(['summary', '--json', longLog()])).stdout) as { metrics: { ttfa: { mean: number } } };
    expect(s.metrics.ttfa.mean).toBe(0.2);
  });
});
