import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlFileWriter, type OpenFile } from '../../src/sink/jsonl-file-writer.js';
import { makeHarness, tempDir, type Harness } from '../helpers/harness.js';
import { openSeam } from '../helpers/open-seam.js';
import { mountTmpfs, requireOrSkip, type Tmpfs } from '../helpers/tmpfs.js';

const seam = openSeam;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function harness(...args: Parameters<typeof makeHarness>): Harness {
  const h = makeHarness(...args);
  cleanups.push(() => h.provider.shutdown());
  return h;
}
function tmpfs(size: number): Tmpfs | undefined {
  const fs = mountTmpfs(size);
  if (fs) cleanups.push(() => fs.unmount());
  return fs;
}

/** Every line of every file parses; no torn line anywhere. */
function strictLines(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (text.length > 0) expect(text.endsWith('\n'), `${f} ends with a whole line`).toBe(true);
    for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line));
  }
  return out;
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('disk full (a real 256 KiB tmpfs)', () => {
  it('warns once with the path and ENOSPC, leaves no torn line, keeps events and writes them when space returns', async () => {
    const fs = tmpfs(256 * 1024);
    if (!requireOrSkip(fs !== undefined, 'mounting a tmpfs (root)')) return;
    const dir = join(fs!.path, 'logs');
    const filler = join(fs!.path, 'filler');
    writeFileSync(filler, Buffer.alloc(200 * 1024));
    const h = harness({ dir });
    const s = h.voice.startSession({ id: 'full' });
    for (let i = 0; i < 600; i++) s.logEvent('TOOL_REQUEST_START', { i, pad: 'x'.repeat(100) }); // ~170 KB: more than is free
    await waitFor(() => h.warnings.some((w) => w.includes('ENOSPC')));
    for (let i = 600; i < 700; i++) s.logEvent('TOOL_REQUEST_START', { i, pad: 'x'.repeat(100) }); // the app goes on
    await sleep(200);
    const outage = h.warnings.filter((w) => w.includes('ENOSPC'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toContain(dir);
    const during = strictLines(dir); // whatever fitted is whole lines
    expect(during.length).toBeLessThan(700);
    rmSync(filler); // space returns
    const back = performance.now();
    s.end();
    await waitFor(() => strictLines(dir).length === 702);
    console.log(`disk full: recovered ${702 - during.length} held events ${Math.round(performance.now() - back)} ms after space returned`);
    const lines = strictLines(dir);
    expect(lines.filter((l) => l.event_type === 'TOOL_REQUEST_START').map((l) => (l.data as { i: number }).i)).toEqual(
      Array.from({ length: 700 }, (_, i) => i),
    );
    expect(h.warnings.at(-1)).toContain('works again');
    expect(h.writer.dropped).toBe(0);
  });

  it('beyond the memory bound it drops the oldest, counts them, and records EVENT_LOG_DROPPED once writing works', async () => {
    const fs = tmpfs(128 * 1024);
    if (!requireOrSkip(fs !== undefined, 'mounting a tmpfs (root)')) return;
    const dir = join(fs!.path, 'logs');
    const filler = join(fs!.path, 'filler');
    writeFileSync(filler, Buffer.alloc(128 * 1024 - 4096));
    const h = harness({ dir, maxBufferedBytes: 64 * 1024 });
    for (let i = 0; i < 3000; i++) h.voice.logEvent('TOOL_REQUEST_START', { i, pad: 'y'.repeat(60) }); // ~500 KB
    await waitFor(() => h.writer.dropped > 0);
    expect(h.writer.pending.bytes).toBeLessThanOrEqual(64 * 1024 + 200 * 1024); // bound + one slice in flight
    rmSync(filler);
    await waitFor(() => strictLines(dir).some((l) => l.event_type === 'EVENT_LOG_DROPPED'));
    await h.flush();
    const lines = strictLines(dir);
    const dropped = lines.find((l) => l.event_type === 'EVENT_LOG_DROPPED')!;
    const kept = lines.filter((l) => l.event_type === 'TOOL_REQUEST_START');
    expect((dropped.data as { count: number }).count).toBe(h.writer.dropped);
    expect(kept.length + h.writer.dropped).toBe(3000); // nothing lost without being counted
    const ids = kept.map((l) => (l.data as { i: number }).i);
    expect(ids.at(-1)).toBe(2999); // the newest are kept
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('a burst bigger than the memory bound on a working disk', () => {
  it('is written whole: the bound applies only while writing fails', async () => {
    const h = harness({ maxBufferedBytes: 64 * 1024 });
    for (let i = 0; i < 3000; i++) h.voice.logEvent('TOOL_REQUEST_START', { i, pad: 'y'.repeat(60) }); // ~500 KB at once
    await h.flush();
    expect(h.writer.dropped).toBe(0);
    expect(strictLines(h.dir).map((l) => (l.data as { i: number }).i)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});

describe('disk full, injected (runs where mounting is not allowed too)', () => {
  it('a write that fails half-way with ENOSPC is cut back: no torn line, nothing lost once space returns', async () => {
    let full = false;
    let failedWrites = 0;
    const openFile = seam((fh) => ({
      writev: async (buffers: Buffer[]) => {
        if (!full) return fh.writev(buffers);
        failedWrites++;
        if (failedWrites === 1) {
          // The first failing write gets half its bytes to disk (then the disk is full); retries
          // get nothing, so the file is not in the middle of a cut-back when the test reads it.
          const all = Buffer.concat(buffers);
          await fh.write(all, 0, Math.floor(all.length / 2));
        }
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    }));
    const h = harness({ openFile });
    for (let i = 0; i < 50; i++) h.voice.logEvent('TOOL_REQUEST_START', { i });
    await h.flush();
    full = true;
    for (let i = 50; i < 300; i++) h.voice.logEvent('TOOL_REQUEST_START', { i });
    await sleep(200);
    expect(failedWrites).toBeGreaterThan(1); // retried
    expect(h.warnings.filter((w) => w.includes('ENOSPC'))).toHaveLength(1);
    expect(strictLines(h.dir)).toHaveLength(50); // the half-written chunk was cut back
    full = false;
    await waitFor(() => strictLines(h.dir).length === 300);
    expect(strictLines(h.dir).map((l) => (l.data as { i: number }).i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});

describe('an unusable log folder', () => {
  it('not writable (read-only remount): one warning with EROFS, then recovery', async () => {
    const fs = tmpfs(1024 * 1024);
    if (!requireOrSkip(fs !== undefined, 'mounting a tmpfs (root)')) return;
    const dir = join(fs!.path, 'logs');
    const h = harness({ dir });
    h.voice.logEvent('BEFORE');
    await h.flush();
    fs!.remount('ro');
    for (let i = 0; i < 5; i++) {
      h.voice.logEvent('DURING', { i });
      await sleep(60);
    }
    expect(h.warnings.filter((w) => w.includes('EROFS'))).toHaveLength(1);
    fs!.remount('rw');
    await waitFor(() => strictLines(dir).length === 6);
    expect(strictLines(dir).map((l) => l.event_type)).toEqual(['BEFORE', 'DURING', 'DURING', 'DURING', 'DURING', 'DURING']);
  });

  it('removed while running: the folder is made again and nothing is lost', async () => {
    const h = harness();
    h.voice.logEvent('ONE');
    await h.flush();
    rmSync(h.dir, { recursive: true });
    h.voice.logEvent('TWO');
    await h.flush();
    expect(strictLines(h.dir).map((l) => l.event_type)).toEqual(['TWO']);
    expect(h.warnings).toEqual([]);
  });

  it('an existing folder others can read gets one warning naming it', async () => {
    const dir = join(tempDir(), 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const h = harness({ dir });
    h.voice.logEvent('A');
    h.voice.logEvent('B');
    await h.flush();
    h.voice.logEvent('C');
    await h.flush();
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toContain(dir);
    expect(h.warnings[0]).toContain('0755');
    expect(strictLines(dir)).toHaveLength(3);
  });
});

describe('shutting down while the folder is unusable', () => {
  it('counts what could not be written and says so once; the exporter reports the failure', async () => {
    const base = tempDir();
    const dir = join(base, 'blocked');
    writeFileSync(dir, 'a file where the folder should be');
    const h = harness({ dir });
    for (let i = 0; i < 30; i++) h.voice.logEvent('LOST_ONE', { i });
    await h.flush();
    const before = h.warnings.length;
    await h.writer.shutdown();
    expect(h.writer.dropped).toBe(30);
    expect(h.warnings.slice(before).filter((w) => w.includes('30 events could not be written'))).toHaveLength(1);

    const { JsonlSpanExporter, JsonlFileWriter } = await import('../helpers/lib.js');
    const exporter = new JsonlSpanExporter({ writer: new JsonlFileWriter({ dir, warn: () => undefined }) });
    h.voice.logEvent('ANOTHER'); // a finished span to export
    await h.provider.forceFlush();
    const span = h.spans.getFinishedSpans().at(-1)!;
    const result = await new Promise<{ code: number; error?: Error }>((r) => exporter.export([span], r));
    expect(result.code).toBe(1); // ExportResultCode.FAILED
    expect(result.error?.message).toContain(dir);
  });
});

describe('a record that cannot be formatted', () => {
  it('is dropped and counted, with one warning; the writer and the app go on', async () => {
    const h = harness();
    h.writer.write({ timestampUs: Number.NaN, eventType: 'BROKEN', sessionId: null, data: {} }); // no file name for an invalid time
    h.writer.write({ timestampUs: Number.NaN, eventType: 'BROKEN', sessionId: null, data: {} });
    h.voice.logEvent('AFTER');
    await h.flush();
    expect(h.writer.dropped).toBe(2);
    expect(h.warnings.filter((w) => w.includes('could not be formatted'))).toHaveLength(1);
    const lines = strictLines(h.dir);
    expect(lines.map((l) => l.event_type)).toEqual(['AFTER', 'EVENT_LOG_DROPPED']);
    expect(lines[1]!.data).toEqual({ count: 2, total: 2 });
  });
});

describe('a write that hangs (a stalled network filesystem)', () => {
  it('counts as an outage after stallMs: one warning, memory bounded, the rest written once it completes', async () => {
    let release: (() => void) | undefined;
    let hang = false;
    const openFile = seam((fh) => ({
      writev: async (buffers: Buffer[]) => {
        if (hang) await new Promise<void>((r) => (release = r));
        return fh.writev(buffers);
      },
    }));
    const h = harness({ openFile, maxBufferedBytes: 64 * 1024, stallMs: 100 });
    h.voice.logEvent('BEFORE');
    await h.flush();
    hang = true;
    h.voice.logEvent('STUCK'); // the write that hangs
    await waitFor(() => release !== undefined);
    for (let i = 0; i < 3000; i++) h.voice.logEvent('TOOL_REQUEST_START', { i, pad: 'y'.repeat(60) }); // ~500 KB
    await waitFor(() => h.warnings.some((w) => w.includes('has not finished after 100 ms')));
    await sleep(50);
    expect(h.writer.pending.bytes).toBeLessThanOrEqual(64 * 1024 + 70 * 1024); // the bound, plus the chunk being built
    expect(h.writer.dropped).toBeGreaterThan(0);
    hang = false;
    release!();
    await waitFor(() => strictLines(h.dir).some((l) => l.event_type === 'EVENT_LOG_DROPPED'));
    await h.flush();
    const lines = strictLines(h.dir);
    const kept = lines.filter((l) => l.event_type === 'TOOL_REQUEST_START').length;
    expect(kept + h.writer.dropped).toBe(3000); // nothing lost without being counted
    expect(lines.slice(0, 2).map((l) => l.event_type)).toEqual(['BEFORE', 'STUCK']);
    expect(h.warnings.filter((w) => w.includes('has not finished'))).toHaveLength(1);
    expect(h.warnings.at(-1)).toContain('works again');
  });
});

describe('an event logged while a drain is closing its file', () => {
  it('is written by flush and shutdown, not reported lost (the chunk being built counts as pending)', async () => {
    const dir = join(tempDir(), 'closing');
    const warnings: string[] = [];
    const openFile = seam((fh) => ({
      close: async () => {
        await sleep(30); // a slow close: the window in which the next event arrives
        await fh.close();
      },
    }));
    const w = new JsonlFileWriter({ dir, warn: (m) => warnings.push(m), openFile, flushIntervalMs: 50 });
    const rec = (i: number) => ({ timestampUs: Date.now() * 1000, eventType: 'E', sessionId: 's', data: { i } });
    w.write(rec(1));
    void w.flush(); // writes line 1, then sits in close()
    await sleep(10);
    w.write(rec(2));
    await new Promise((r) => setImmediate(r)); // formatted into the chunk being built
    await w.shutdown();
    expect(strictLines(dir).map((l) => (l.data as { i: number }).i)).toEqual([1, 2]);
    expect(w.dropped).toBe(0);
    expect(warnings).toEqual([]);
  });
});

describe('a warn function that throws', () => {
  it('does not become an uncaught exception on the writer\'s own turns', async () => {
    const dir = join(tempDir(), 'warn-throws');
    let calls = 0;
    const w = new JsonlFileWriter({
      dir,
      flushIntervalMs: 20,
      warn: () => {
        calls++;
        throw new Error('warn threw');
      },
    });
    w.write({ timestampUs: Number.NaN, eventType: 'BROKEN', sessionId: null, data: {} }); // warned about on a setImmediate turn
    w.write({ timestampUs: Date.now() * 1000, eventType: 'FINE', sessionId: null, data: {} });
    await w.shutdown();
    expect(calls).toBe(1);
    expect(strictLines(dir).map((l) => l.event_type)).toEqual(['FINE', 'EVENT_LOG_DROPPED']);
  });
});
