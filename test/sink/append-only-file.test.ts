import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendOnlyFile, type OpenFile } from '../../src/sink/append-only-file.js';
import { tempDir } from '../helpers/harness.js';
import { openSeam } from '../helpers/open-seam.js';

const lines = (...texts: string[]) => texts.map((t) => Buffer.from(`${t}\n`));

function setup(openFile?: OpenFile) {
  const dir = join(tempDir(), 'logs');
  const warnings: string[] = [];
  const file = new AppendOnlyFile({ dir, warn: (m) => warnings.push(m), openFile });
  return { dir, file, warnings, path: join(dir, 'voicemode_events.jsonl') };
}

describe('AppendOnlyFile', () => {
  it('creates the folder 0700 and the file 0600, appends in order, and says where each append began', async () => {
    const { dir, file, path } = setup();
    const pre: number[] = [];
    await file.append(path, lines('a', 'b'), 4, (s) => pre.push(s));
    await file.append(path, lines('c'), 2, (s) => pre.push(s)); // same handle, kept open
    await file.close();
    await file.append(path, lines('d'), 2, (s) => pre.push(s)); // reopened
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('a\nb\nc\nd\n');
    expect(pre).toEqual([0, 4, 6]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a write that fails half-way is cut back to where it began; the next append works', async () => {
    let fail = true;
    const openFile = openSeam((fh) => ({
      writev: async (buffers: Buffer[]) => {
        if (!fail) return fh.writev(buffers);
        const all = Buffer.concat(buffers);
        await fh.write(all, 0, Math.floor(all.length / 2));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    }));
    const { file, path } = setup(openFile);
    fail = false;
    await file.append(path, lines('kept'), 5);
    fail = true;
    await expect(file.append(path, lines('torn-1', 'torn-2'), 14)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readFileSync(path, 'utf8')).toBe('kept\n');
    fail = false;
    await file.append(path, lines('next'), 5);
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('kept\nnext\n');
  });

  it('appends to the file kept open are unchecked; check() finds a file removed meanwhile, and the next append opens a new one', async () => {
    let stats = 0;
    const { dir, file, path } = setup(openSeam((fh) => ({ stat: () => (stats++, fh.stat()) })));
    expect(await file.append(path, lines('one'), 4)).toBe('checked'); // right after the open's stat
    expect(await file.append(path, lines('two'), 4)).toBe('unchecked'); // no stat before it
    expect(stats).toBe(1);
    expect(await file.check()).toBe(true); // one stat for the appends since the last check
    expect(await file.check()).toBe(true); // nothing unchecked: no stat
    expect(stats).toBe(2);
    rmSync(dir, { recursive: true }); // the handle is still open on the removed file
    expect(await file.append(path, lines('three'), 6)).toBe('unchecked');
    expect(await file.check()).toBe(false); // 'three' went to the removed file: to be written again
    expect(await file.append(path, lines('three'), 6)).toBe('checked'); // a new file in a re-created folder
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('three\n');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('once another process is seen appending to the file, every append is made after a stat (exact sizes for the cut-back and exit)', async () => {
    const { file, path } = setup();
    const pre: number[] = [];
    await file.append(path, lines('a'), 2, (s) => pre.push(s));
    await file.append(path, lines('b'), 2, (s) => pre.push(s)); // unchecked: size counted, 2
    writeFileSync(path, 'other\n', { flag: 'a' }); // another writer
    expect(await file.check()).toBe(true); // sees 10 bytes where we wrote 4
    expect(await file.append(path, lines('c'), 2, (s) => pre.push(s))).toBe('checked');
    writeFileSync(path, 'more\n', { flag: 'a' });
    expect(await file.append(path, lines('d'), 2, (s) => pre.push(s))).toBe('checked');
    await file.close();
    expect(pre).toEqual([0, 2, 10, 17]);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\nother\nc\nmore\nd\n');
  });

  it('refuses a symlink and a FIFO under the log name, writing nothing through them', async () => {
    const { dir, file, path } = setup();
    mkdirSync(dir, { mode: 0o700 });
    const target = join(dir, 'elsewhere.txt');
    writeFileSync(target, '');
    symlinkSync(target, path);
    await expect(file.append(path, lines('x'), 2)).rejects.toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('');
    const fifo = join(dir, 'voicemode_events_2026-11-03.jsonl');
    execFileSync('mkfifo', [fifo]);
    await expect(file.append(fifo, lines('x'), 2)).rejects.toThrow(/not a regular file/);
    expect(() => file.appendSync(fifo, Buffer.from('x\n'))).toThrow(/not a regular file/);
  });

  it('an existing file others can read is set to 0600 and said once; a readable folder is said once', async () => {
    const { dir, file, path, warnings } = setup();
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(path, 'old\n', { mode: 0o644 });
    await file.append(path, lines('new'), 4);
    await file.close();
    await file.append(path, lines('again'), 6);
    await file.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('old\nnew\nagain\n');
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/folder .* has mode 0755[\s\S]*had mode 0644/);
  });

  it('appendSync (exit) makes the folder and appends; writtenSince sees what reached the file', () => {
    const { dir, file, path } = setup();
    file.appendSync(path, Buffer.from('a\n'));
    file.appendSync(path, Buffer.from('b\n'));
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(file.writtenSince(path, 2, 2, 0)).toBe(2); // all of it
    expect(file.writtenSince(path, 2, 10, 20)).toBe(2); // part of it, after waiting at most 20 ms
    expect(file.writtenSince(join(dir, 'missing'), 0, 5, 0)).toBe(0);
  });
});
