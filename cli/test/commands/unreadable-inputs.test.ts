import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';
import { cli, cliWithin, FIX, type Result } from './run.js';

const spec = readFileSync(join(FIX, 'ours-spec-case.jsonl'));

/** Issue 16, item 16: one truncated .jsonl.gz no longer aborts the whole analysis. */
describe('a truncated .jsonl.gz among good files', () => {
  function folder(): string {
    const dir = join(tempDir(), 'logs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'voicemode_events_2025-06-23.jsonl'), spec);
    const gz = gzipSync(readFileSync(join(FIX, 'python-variant.jsonl')));
    writeFileSync(join(dir, 'voicemode_events_2025-06-20.jsonl.gz'), gz.subarray(0, gz.length - 30)); // cut short
    return dir;
  }

  it('summary --json: the rest analysed, one warning, the count, exit 0', async () => {
    const dir = folder();
    const good = JSON.parse((await cli(['summary', '--json', join(dir, 'voicemode_events_2025-06-23.jsonl')])).stdout) as { events: number };
    const r = await cli(['summary', '--json', dir]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { events: number; unreadable_files: number; files: number };
    expect(s.unreadable_files).toBe(1);
    expect(s.files).toBe(2);
    // the good file's events all, plus what the cut file held before the cut
    expect(s.events).toBeGreaterThanOrEqual(good.events);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/corrupt gzip file .*voicemode_events_2025-06-20\.jsonl\.gz: unexpected end of file; the rest of this file is skipped/);
  });

  it.each([['query'], ['timeline', '--session', 'conv_1750672800_5e1f00'], ['anomalies', '--json']])('%s: the same, exit 0', async (...args) => {
    const r = await cli([...args, folder()]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--strict: exit 1, after saying which file', async () => {
    const r = await cli(['summary', '--json', '--strict', folder()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2025-06-20\.jsonl\.gz: unexpected end of file/);
    expect(r.stderr).toMatch(/1 file\(s\) could not be read to the end \(--strict\)/);
  });
});

/**
 * Issue 16, item 15: "permission denied" with the path. The tests run as root, who may read
 * anything; so the CLI runs as the unprivileged user `nobody` (spawn's uid option) when the
 * test runs as root, and files are chmod 000 otherwise.
 */
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function cliAsUser(args: string[]): Promise<Result & { timedOut: boolean }> {
  return cliWithin(4000, args, {}, asRoot ? { uid: NOBODY, gid: NOBODY } : {});
}

/** A folder others may enter (the CLI runs as nobody), holding what the test makes unreadable. */
function openFolder(): string {
  const dir = join(tempDir(), 'logs');
  mkdirSync(dir);
  chmodSync(join(dir, '..'), 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

describe('unreadable files and folders', () => {
  it('summary of a file in an unreadable folder: permission denied with the path (not "no such file")', async () => {
    const dir = openFolder();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'voicemode_events_2025-06-23.jsonl'), spec);
    chmodSync(locked, 0o700);
    if (!asRoot) chmodSync(locked, 0o000);
    const r = await cliAsUser(['summary', join(locked, 'voicemode_events_2025-06-23.jsonl')]);
    expect(r.stderr).toBe(`voicemode-events: permission denied: ${join(locked, 'voicemode_events_2025-06-23.jsonl')}\n`);
    expect(r.code).toBe(1);
  });

  it('summary of an unreadable file, and of a folder holding one: permission denied with the path', async () => {
    const dir = openFolder();
    const file = join(dir, 'voicemode_events_2025-06-23.jsonl');
    writeFileSync(file, spec);
    chmodSync(file, asRoot ? 0o600 : 0o000);
    for (const target of [file, dir]) {
      const r = await cliAsUser(['summary', target]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`voicemode-events: permission denied: ${file}\n`);
    }
  });

  it('tail of an unreadable file: permission denied with the path, exit 1 (not "following" and silence)', async () => {
    const dir = openFolder();
    const file = join(dir, 'voicemode_events_2025-06-23.jsonl');
    writeFileSync(file, spec);
    chmodSync(file, asRoot ? 0o600 : 0o000);
    const r = await cliAsUser(['tail', dir, '--interval', '20']);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`voicemode-events: permission denied: ${file}\n`);
  });
});
