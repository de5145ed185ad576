import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/events/record.js';
import { AppendOnlyFile, type AppendKind } from '../../src/sink/append-only-file.js';
import { WriteQueue, type AppendTarget, type WriteQueueState } from '../../src/sink/write-queue.js';
import { tempDir } from '../helpers/harness.js';
import { openSeam } from '../helpers/open-seam.js';

const T0 = Date.UTC(2026, 10, 3, 12) * 1000;
const rec = (i: number, pad = ''): EventRecord => ({ timestampUs: T0 + i, eventType: 'E', sessionId: 's', data: pad ? { i, pad } : { i } });
const numbers = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((l) => l.event_type === 'E')
    .map((l) => (l.data as { i: number }).i);
const turn = () => new Promise((r) => setImmediate(r));

/** An in-memory target: what was appended, in order; appends can be made to fail or to hang. */
class MemoryTarget implements AppendTarget {
  readonly dir = '/memory';
  text = '';
  fail: Error | undefined;
  hang: Promise<void> | undefined;
  appends = 0;
  /** Appends after the first are `unchecked` (the file kept open), as AppendOnlyFile's are. */
  uncheckedAfterFirst = false;
  /** What `check()` answers (false: the file was removed while open). */
  linked = true;
  checks = 0;
  statesSeen: WriteQueueState[] = [];
  queue: WriteQueue | undefined;
  async append(_path: string, buffers: Buffer[], _length: number, started?: (preSize: number) => void): Promise<AppendKind> {
    this.appends++;
    if (this.queue) this.statesSeen.push(this.queue.state);
    started?.(Buffer.byteLength(this.text));
    if (this.hang) await this.hang;
    if (this.fail) throw this.fail;
    this.text += Buffer.concat(buffers).toString('utf8');
    return this.uncheckedAfterFirst && this.appends > 1 ? 'unchecked' : 'checked';
  }
  async check(): Promise<boolean> {
    this.checks++;
    return this.linked;
  }
  async close(): Promise<void> {}
  appendSync(_path: string, data: Buffer): void {
    this.text += data.toString('utf8');
  }
  writtenSince(): number {
    return 0;
  }
}

function queueOn(target: AppendTarget, options: Partial<{ maxBufferedBytes: number; stallMs: number; flushIntervalMs: number }> = {}) {
  const warnings: string[] = [];
  const q = new WriteQueue({
    rotation: 'daily',
    target,
    warn: (m) => warnings.push(m),
    flushIntervalMs: options.flushIntervalMs ?? 20,
    maxBufferedBytes: options.maxBufferedBytes ?? 1 << 20,
    stallMs: options.stallMs ?? 5000,
  });
  return { q, warnings };
}

describe('WriteQueue: its states', () => {
  it('idle -> draining -> idle on a working target; failing (one warning) -> draining on recovery; closed after shutdown', async () => {
    const target = new MemoryTarget();
    const { q, warnings } = queueOn(target);
    target.queue = q;
    expect(q.state).toBe('idle');
    q.write(rec(1));
    await q.flush();
    expect(target.statesSeen).toEqual(['draining']);
    expect(q.state).toBe('idle');

    target.fail = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    q.write(rec(2));
    await q.flush();
    expect(q.state).toBe('failing');
    expect(q.failure).toMatch(/ENOSPC/);
    await sleep(80); // retries on the timer, still failing: no second warning
    expect(target.appends).toBeGreaterThan(3);
    expect(q.state).toBe('failing');
    expect(warnings.filter((w) => w.includes('ENOSPC'))).toHaveLength(1);

    target.fail = undefined;
    target.statesSeen = [];
    await q.flush();
    expect(target.statesSeen[0]).toBe('failing'); // a retry runs in failing until a write succeeds
    expect(q.state).toBe('idle');
    expect(q.failure).toBeUndefined();
    expect(warnings.at(-1)).toContain('works again');

    await q.shutdown();
    expect(q.state).toBe('closed');
    q.write(rec(3)); // ignored once closed
    await turn();
    expect(numbers(target.text)).toEqual([1, 2]);
    expect(q.pending).toEqual({ records: 0, bytes: 0 });
  });

  it('a write that does not finish within stallMs makes it failing while it hangs', async () => {
    const target = new MemoryTarget();
    let release!: () => void;
    target.hang = new Promise<void>((r) => (release = r));
    const { q, warnings } = queueOn(target, { stallMs: 30 });
    q.write(rec(1));
    const flushed = q.flush();
    await sleep(60);
    expect(q.state).toBe('failing');
    expect(warnings).toHaveLength(1);
    target.hang = undefined;
    release();
    await flushed;
    expect(q.state).toBe('idle');
    expect(numbers(target.text)).toEqual([1]);
  });
});

describe('WriteQueue: its rules', () => {
  it('the chunk being built counts as pending, and flush writes it', async () => {
    const target = new MemoryTarget();
    const { q } = queueOn(target, { flushIntervalMs: 60_000 });
    q.write(rec(1));
    expect(q.pending.records).toBe(1);
    await turn(); // formatted into the chunk being built, not yet queued or written
    expect(q.pending.records).toBe(0);
    expect(q.pending.bytes).toBeGreaterThan(0);
    expect(target.appends).toBe(0);
    await q.flush();
    expect(numbers(target.text)).toEqual([1]);
    expect(q.pending.bytes).toBe(0);
  });

  it('while failing, the memory bound drops the oldest queued chunks but never the chunk being written', async () => {
    const target = new MemoryTarget();
    let release!: () => void;
    target.hang = new Promise<void>((r) => (release = r));
    const { q } = queueOn(target, { stallMs: 20, maxBufferedBytes: 64 * 1024 });
    q.write(rec(0));
    const flushed = q.flush(); // line 0 is in flight and hangs
    await sleep(40); // stalled: failing, the bound applies
    for (let i = 1; i <= 3000; i++) q.write(rec(i, 'p'.repeat(100)));
    await sleep(50);
    expect(q.dropped).toBeGreaterThan(0);
    expect(q.pending.bytes).toBeLessThanOrEqual(64 * 1024 + 70 * 1024);
    target.hang = undefined;
    release();
    await flushed;
    await q.flush();
    const written = numbers(target.text);
    expect(written[0]).toBe(0); // the chunk in flight went first, whole
    const kept = written.filter((i) => i > 0).length;
    expect(kept + q.dropped).toBe(3000);
    expect(written.at(-1)).toBe(3000); // the newest kept
    expect(target.text).toContain('"EVENT_LOG_DROPPED"');
  });

  it('flushSync at exit does not write a chunk twice whose write is already under way (a real file)', async () => {
    const dir = join(tempDir(), 'exit');
    // writev reaches the file, but its completion is never reported: an exit arrives meanwhile
    let stuck = false;
    const openFile = openSeam((fh) => ({
      writev: async (buffers: Buffer[]) => {
        const r = await fh.writev(buffers);
        if (stuck) await new Promise(() => undefined);
        return r;
      },
    }));
    const file = new AppendOnlyFile({ dir, warn: () => undefined, openFile });
    const { q, warnings } = queueOn(file);
    q.write(rec(1));
    await q.flush();
    stuck = true;
    q.write(rec(2));
    q.write(rec(3));
    void q.flush();
    await sleep(50); // lines 2 and 3 are on disk; the append has not returned
    q.write(rec(4)); // not yet formatted
    q.flushSync();
    const path = join(dir, 'voicemode_events_2026-11-03.jsonl');
    expect(numbers(readFileSync(path, 'utf8'))).toEqual([1, 2, 3, 4]);
    expect(warnings).toEqual([]);
  });

  it('a folder deleted during a drain: what was written unchecked to the removed file is written again, nothing twice (a real file)', async () => {
    const dir = join(tempDir(), 'removed');
    let appends = 0;
    const file = new AppendOnlyFile({
      dir,
      warn: () => undefined,
      openFile: openSeam((fh) => ({
        writev: async (buffers: Buffer[]) => {
          if (++appends === 3) rmSync(dir, { recursive: true }); // between the 2nd and 3rd append of one drain
          return fh.writev(buffers);
        },
      })),
    });
    const { q, warnings } = queueOn(file);
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < 4000; i++) q.write(rec(i, pad)); // ~4 MB: several appends of up to 1 MiB in one drain
    await q.flush();
    expect(appends).toBeGreaterThan(4);
    const got = numbers(readFileSync(join(dir, 'voicemode_events_2026-11-03.jsonl'), 'utf8'));
    // the first appends went to the removed file (deleted with it); from the removal on, every line once, in order
    expect(got.length).toBeGreaterThan(1000);
    expect(got).toEqual(Array.from({ length: got.length }, (_, k) => 4000 - got.length + k));
    expect(q.pending).toEqual({ records: 0, bytes: 0 });
    expect(warnings).toEqual([]);
  });

  it('chunks written unchecked stay pending until checked, and flushSync at exit does not write them again', async () => {
    const target = new MemoryTarget();
    target.uncheckedAfterFirst = true;
    const sizes: number[] = [];
    const origAppend = target.append.bind(target);
    target.append = async (path, buffers, length, started) => {
      sizes.push(length);
      if (target.appends === 2) await new Promise<void>(() => undefined); // the 3rd append never returns: exit comes first
      return origAppend(path, buffers, length, started);
    };
    const { q } = queueOn(target);
    const pad = 'z'.repeat(1000);
    for (let i = 0; i < 2500; i++) q.write(rec(i, pad)); // ~2.6 MB: more than 2 appends
    void q.flush(); // never settles: its 3rd append hangs
    await sleep(100);
    expect(target.appends).toBe(2); // 1 checked, 1 unchecked; the 3rd hangs
    expect(target.checks).toBe(0); // the check would come after the 3rd
    const onDisk = Buffer.byteLength(target.text);
    expect(onDisk).toBe(sizes[0]! + sizes[1]!);
    expect(q.pending.bytes).toBeGreaterThanOrEqual(2_500_000 - sizes[0]!); // the unchecked append's chunks are still pending
    q.flushSync(); // exit: the unchecked append is on disk and not written again; the 3rd one (in flight, 0 bytes done) and the rest are
    expect(numbers(target.text)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });
});
