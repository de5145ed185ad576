import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileNameFor } from '../../src/config.js';
import type { EventRecord } from '../../src/events/record.js';
import { JsonlFileWriter, type OpenFile } from '../../src/sink/jsonl-file-writer.js';
import { tempDir } from '../helpers/harness.js';

/**
 * Issue #16, item 6 (the writer's half): log files are opened with O_NOFOLLOW, only regular
 * files are written, and a pre-existing file others can read is set to 0600. What cannot be
 * written is kept (bounded) and counted, as for any other write failure.
 */
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0) * 1000;
const FILE = fileNameFor(T0, 'daily');

function record(i: number): EventRecord {
  return { timestampUs: T0 + i, eventType: 'X', sessionId: 's', data: { i, text: 'what people said' } };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(openFile?: OpenFile): { root: string; dir: string; writer: JsonlFileWriter; warnings: string[] } {
  const root = tempDir('vme-safety-');
  const dir = join(root, 'logs');
  mkdirSync(dir, { mode: 0o700 });
  const warnings: string[] = [];
  const writer = new JsonlFileWriter({ dir, flushIntervalMs: 20, warn: (m) => warnings.push(m), ...(openFile ? { openFile } : {}) });
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  cleanups.push(() => writer.shutdown());
  return { root, dir, writer, warnings };
}

describe('a log file planted as a symlink', () => {
  it('is refused with one warning, nothing written through it; the events wait and are written once the link is gone', async () => {
    const { root, dir, writer, warnings } = setup();
    const elsewhere = join(root, 'elsewhere.txt');
    writeFileSync(elsewhere, '', { mode: 0o644 });
    symlinkSync(elsewhere, join(dir, FILE));
    for (let i = 0; i < 5; i++) writer.write(record(i));
    await writer.flush();
    for (let i = 5; i < 10; i++) writer.write(record(i)); // retries: still one warning
    await writer.flush();
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('is a symbolic link; it is not followed');
    expect(writer.failure).toContain('ELOOP');
    rmSync(join(dir, FILE));
    await new Promise((r) => setTimeout(r, 60)); // the retry timer
    await writer.flush();
    const lines = readFileSync(join(dir, FILE), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { data: { i: number } }).data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(writer.dropped).toBe(0);
  });

  it('at exit (synchronous write) too: nothing through the link, the events counted as lost at shutdown', async () => {
    const { root, dir, writer, warnings } = setup();
    const elsewhere = join(root, 'elsewhere.txt');
    writeFileSync(elsewhere, '', { mode: 0o644 });
    symlinkSync(elsewhere, join(dir, FILE));
    for (let i = 0; i < 3; i++) writer.write(record(i));
    writer.flushSync();
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
    expect(warnings.join('\n')).toContain('ELOOP');
    await writer.shutdown();
    expect(writer.dropped).toBe(3);
  });
});

describe('a log file name taken by something that is not a regular file', () => {
  it('a FIFO without a reader: refused at once (no hang), one warning, events counted at shutdown', async () => {
    const { dir, writer, warnings } = setup();
    execFileSync('mkfifo', ['-m', '0600', join(dir, FILE)]);
    for (let i = 0; i < 4; i++) writer.write(record(i));
    const t0 = performance.now();
    await writer.flush();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('is not a regular file');
    await writer.shutdown();
    expect(writer.dropped).toBe(4);
  });

  it('a FIFO with a reader: refused after fstat, nothing written into it', async () => {
    const { dir, writer, warnings } = setup();
    const fifo = join(dir, FILE);
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    cleanups.push(() => closeSync(reader));
    for (let i = 0; i < 4; i++) writer.write(record(i));
    await writer.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('is not a regular file');
    const buf = Buffer.alloc(4096);
    let n = 0;
    try {
      n = (await import('node:fs')).readSync(reader, buf);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('EAGAIN'); // nothing to read
    }
    expect(n).toBe(0);
  });
});

describe('file modes', () => {
  it('a pre-existing 0644 log file is set to 0600, with one warning; appended to, not replaced', async () => {
    const { dir, writer, warnings } = setup();
    const path = join(dir, FILE);
    writeFileSync(path, '{"old":1}\n');
    chmodSync(path, 0o644);
    writer.write(record(0));
    await writer.flush();
    writer.write(record(1));
    await writer.flush();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([`event log file ${path} had mode 0644 (other users could read what people said); set it to 0600`]);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('{"old":1}');
  });

  it('when chmod fails: one warning saying so, and the events are still written', async () => {
    const openFile: OpenFile = async (path, flags, mode) => {
      const fh = await open(path, flags, mode);
      return {
        stat: () => fh.stat(),
        writev: (b: Buffer[]) => fh.writev(b),
        truncate: (l: number) => fh.truncate(l),
        close: () => fh.close(),
        chmod: () => Promise.reject(Object.assign(new Error('operation not permitted'), { code: 'EPERM' })),
      };
    };
    const { dir, writer, warnings } = setup(openFile);
    const path = join(dir, FILE);
    writeFileSync(path, '');
    chmodSync(path, 0o640);
    for (let i = 0; i < 2; i++) {
      writer.write(record(i));
      await writer.flush();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/has mode 0640 and could not be set to 0600 \(EPERM/);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('a new file is created 0600 and gives no warning', async () => {
    const { dir, writer, warnings } = setup();
    writer.write(record(0));
    await writer.flush();
    expect(existsSync(join(dir, FILE))).toBe(true);
    expect(statSync(join(dir, FILE)).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([]);
  });
});
