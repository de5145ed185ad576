import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverFiles } from '../../src/reader/discover.js';
import { isLogFileName, logFileName } from '../../../src/sink/log-file-name.js';

describe('discovery follows the library\'s log-file naming rule (src/sink/log-file-name.ts)', () => {
  it('a folder contributes exactly the names the rule recognises, in date order', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vme-names-')), 'logs');
    mkdirSync(dir);
    const us = (d: number, h = 0) => Date.UTC(2026, 0, d, h) * 1000;
    const named = [
      logFileName(us(2), 'daily'),
      logFileName(us(1, 5), 'hourly'),
      logFileName(us(1), 'none'),
      `${logFileName(us(1), 'daily')}.gz`,
      'voicemode_events_a.jsonl', // another writer's suffix
      'notes.jsonl',
      'voicemode_events_2026-01-01.jsonl.bak',
    ];
    for (const n of named) writeFileSync(join(dir, n), '');
    const read = (await discoverFiles([dir])).map((f) => f.path.slice(dir.length + 1));
    expect([...read].sort()).toEqual(named.filter((n) => isLogFileName(n)).sort());
    expect(read).toEqual([
      'voicemode_events.jsonl',
      'voicemode_events_a.jsonl',
      'voicemode_events_2026-01-01.jsonl.gz',
      'voicemode_events_2026-01-01T05.jsonl',
      'voicemode_events_2026-01-02.jsonl',
    ]);
  });
});
