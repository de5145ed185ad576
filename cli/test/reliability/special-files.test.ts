import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRetention } from '../../../src/sink/retention.js';
import { tempDir } from '../../../test/helpers/harness.js';
import { cliWithin, FIX, spawnCli } from '../commands/run.js';

/**
 * Item 9 of issue 16: a FIFO named like a log file hung summary, query and tail (open() of a
 * FIFO waits for a writer) and pinned a libuv thread per retention run. Only regular files
 * are read or compressed; a special file is skipped with one warning.
 */
function folderWithFifo(fifoName = 'voicemode_events_2025-06-24.jsonl'): string {
  const dir = join(tempDir(), 'logs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'voicemode_events_2025-06-23.jsonl'), readFileSync(join(FIX, 'ours-spec-case.jsonl')));
  execFileSync('mkfifo', [join(dir, fifoName)]);
  return dir;
}

describe('special files named like logs', () => {
  it.each([
    ['summary', ['summary', '--json']],
    ['query', ['query']],
    ['timeline', ['timeline', '--session', 'conv_1750672800_5e1f00']],
  ])('%s reads the regular files and skips a FIFO with one warning', async (_name, args) => {
    const dir = folderWithFifo();
    const r = await cliWithin(5000, [...args, dir]);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(args[0] === 'summary' ? '"events":' : 'conv_1750672800_5e1f00');
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/voicemode_events_2025-06-24\.jsonl is not a regular file \(a FIFO\); skipped/);
  });

  it('summary of a FIFO named on the command line is a usage error, not a hang', async () => {
    const dir = folderWithFifo();
    const r = await cliWithin(5000, ['summary', join(dir, 'voicemode_events_2025-06-24.jsonl')]);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a file or folder: .*\(a FIFO\)/);
  });

  it('tail follows the newest regular file and warns once about a FIFO', async () => {
    const dir = folderWithFifo();
    const child = spawnCli(['tail', dir, '--lines', '0', '--interval', '20']);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const end = Date.now() + 5000;
      while (!/following/.test(err) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200)); // several polls: still one warning
      expect(err).toMatch(/following .*voicemode_events_2025-06-23\.jsonl/);
      expect(err.match(/not a regular file/g)).toHaveLength(1);
    } finally {
      child.kill();
    }
  });

  it('retention neither reads nor deletes a FIFO (one warning), and goes on with the other files', async () => {
    const dir = folderWithFifo('voicemode_events_2025-01-01.jsonl');
    writeFileSync(join(dir, 'voicemode_events_2025-01-02.jsonl'), '{}\n');
    const now = Date.UTC(2025, 6, 1);
    const old = new Date(Date.UTC(2025, 0, 3));
    utimesSync(join(dir, 'voicemode_events_2025-01-02.jsonl'), old, old);
    const warnings: string[] = [];
    const run = applyRetention(dir, { compressAfterDays: 7 }, now, (m) => warnings.push(m));
    const r = await Promise.race([run, new Promise((res) => setTimeout(() => res('hung'), 3000))]);
    expect(r).toEqual({ deleted: [], compressed: ['voicemode_events_2025-01-02.jsonl'] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/voicemode_events_2025-01-01\.jsonl: a FIFO, not a regular file/);
    utimesSync(join(dir, 'voicemode_events_2025-01-02.jsonl.gz'), old, old);
    const del = await applyRetention(dir, { retentionDays: 7 }, now, (m) => warnings.push(m));
    expect(del.deleted).toEqual(['voicemode_events_2025-01-02.jsonl.gz']);
  });
});
