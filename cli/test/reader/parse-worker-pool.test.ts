import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// the built pool: its workers run dist/reader/parse-worker.js
import { ParseWorkerPool, type ParseWorker } from '../../dist/reader/parse-worker-pool.js';
import type { WorkerInput, WorkerMessage } from '../../src/reader/worker-protocol.js';

/**
 * The pool's life cycle with real worker threads: a worker whose file was read to its end
 * takes the next file; one let go of mid-file is stopped (it waits for credits that will never
 * come), so the next file never waits for it.
 */
const dir = mkdtempSync(join(tmpdir(), 'vme-pool-'));
const line = (i: number) => `{"timestamp":"2026-05-01T10:00:00.${String(i % 1e6).padStart(6, '0')}Z","event_type":"TTS_START","session_id":"s${i % 7}","data":{"provider":"p"}}`;
function fileOf(name: string, lines: number): { path: string; size: number } {
  const path = join(dir, name);
  const text = `${Array.from({ length: lines }, (_, i) => line(i)).join('\n')}\n`;
  writeFileSync(path, text);
  return { path, size: Buffer.byteLength(text) };
}
const job = (f: { path: string; size: number }, chunkBytes: number, maxInFlight = 1): Omit<WorkerInput, 'job'> => ({
  path: f.path,
  gz: false,
  file: 0,
  chunkBytes,
  maxInFlight,
  index: 0,
  workers: 1,
  size: f.size,
  maxLineBytes: 1 << 20,
});

/** Takes the job's messages to its end, acking each batch; returns the events read. */
async function drain(pw: ParseWorker): Promise<number> {
  let n = 0;
  for (;;) {
    const m: WorkerMessage = await ParseWorkerPool.next(pw);
    if (m.kind === 'error') throw new Error(m.message);
    if (m.kind === 'end') return n;
    n += m.n;
    pw.worker.postMessage('ack');
  }
}

let pool: ParseWorkerPool | undefined;
afterEach(() => pool?.close());

describe('ParseWorkerPool', () => {
  it('gives a worker whose file was read to its end the next file', async () => {
    pool = new ParseWorkerPool();
    const a = fileOf('a.jsonl', 500);
    const first = await pool.start(job(a, 4096));
    expect(await drain(first)).toBe(500);
    pool.release(first, true);
    const second = await pool.start(job(a, 4096));
    expect(second).toBe(first);
    expect(await drain(second)).toBe(500);
    expect(pool.spawned).toBe(1);
  });

  it('stops a worker let go of mid-file; the next file gets a new worker and is read whole', async () => {
    pool = new ParseWorkerPool();
    const big = fileOf('big.jsonl', 5000); // ~110 batches of 4 KiB, one in flight
    const pw = await pool.start(job(big, 4096));
    const m = await ParseWorkerPool.next(pw);
    expect(m.kind).toBe('batch');
    pool.release(pw, false); // never acked: it waits for a credit
    const small = fileOf('small.jsonl', 300);
    const next = await pool.start(job(small, 4096));
    expect(next).not.toBe(pw);
    expect(pw.dead).toBe(true);
    expect(await drain(next)).toBe(300);
    expect(pool.spawned).toBe(2);
  });

  it('stops a worker let go of unfinished even when its job has ended (its last batches were never taken)', async () => {
    pool = new ParseWorkerPool();
    const a = fileOf('d.jsonl', 300);
    const pw = await pool.start(job(a, 4096, 100)); // credits for all its batches
    const first = await ParseWorkerPool.next(pw);
    expect(first.kind).toBe('batch');
    // let the worker finish: its other batches and its `end` wait in the queue, never taken
    while (!pw.idle) await new Promise((r) => setTimeout(r, 5));
    pool.release(pw, false);
    expect(pw.dead).toBe(true); // its table's strings in those batches never reached the reader
    const next = await pool.start(job(a, 4096));
    expect(next).not.toBe(pw);
    expect(await drain(next)).toBe(300);
  });

  it('keeps at most four idle workers after files that overlapped in time', async () => {
    pool = new ParseWorkerPool();
    const a = fileOf('e.jsonl', 200);
    const running: ParseWorker[] = [];
    for (let i = 0; i < 6; i++) running.push(await pool.start(job(a, 1 << 20)));
    expect(pool.spawned).toBe(6);
    for (const pw of running) {
      expect(await drain(pw)).toBe(200);
      pool.release(pw, true);
    }
    expect(running.filter((pw) => pw.dead)).toHaveLength(2);
    expect(running.filter((pw) => !pw.dead && pw.idle)).toHaveLength(4);
    // the next files get the kept ones
    const again = await pool.start(job(a, 1 << 20));
    expect(running).toContain(again);
    expect(pool.spawned).toBe(6);
  });

  it('gives out the workers it started ahead of the read first, and terminates them on close used or not', async () => {
    pool = new ParseWorkerPool();
    pool.prestart(2);
    expect(pool.spawned).toBe(2);
    const a = fileOf('f.jsonl', 300);
    const first = await pool.start(job(a, 4096));
    const exits = [first.worker, (await pool.start(job(a, 4096))).worker].map((w) => new Promise((r) => w.once('exit', r)));
    expect(pool.spawned).toBe(2); // no third thread: the two started ahead took the jobs
    expect(await drain(first)).toBe(300);
    pool.release(first, true);
    pool.close(); // the other one still holds its job, never drained
    await Promise.all(exits);
  });

  it('terminates workers started ahead that no read took', async () => {
    pool = new ParseWorkerPool();
    pool.prestart(1);
    const pw = await pool.start(job(fileOf('g.jsonl', 10), 4096));
    pool.release(pw, false);
    expect(pw.dead).toBe(true);
    const other = new ParseWorkerPool();
    other.prestart(1);
    const idle = (other as unknown as { workers: ParseWorker[] }).workers[0]!;
    const exited = new Promise((r) => idle.worker.once('exit', r));
    other.close();
    expect(idle.dead).toBe(true);
    await exited;
  });

  it('drops messages of a job it has let go of', async () => {
    pool = new ParseWorkerPool();
    const a = fileOf('c.jsonl', 400);
    const pw = await pool.start(job(a, 2048));
    expect(await drain(pw)).toBe(400);
    pool.release(pw, true);
    const again = await pool.start(job(a, 2048));
    expect(again).toBe(pw);
    again.worker.emit('message', { kind: 'batch', job: again.job - 1, n: 99 }); // the last job's, late
    expect(await drain(again)).toBe(400);
  });
});
