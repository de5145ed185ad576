import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { WorkerInput, WorkerJob, WorkerMessage } from './worker-protocol.js';

/**
 * Idle workers kept for the next files: what two overlapping files use at two workers each (two
 * log folders covering the same days are read together by default: with 2 kept, 13-20 workers
 * were started for 2 folders x 10 days, 1.28-1.91 CPU-s, against 4 and 0.54 CPU-s with 4).
 */
const MAX_IDLE = 4;

/** Young generation of each parse worker, MB: its objects are short-lived, and each isolate's default semi-spaces would add tens of MB to the peak RSS. */
const WORKER_YOUNG_GEN_MB = 6;

/**
 * Parse workers compile their hot code in their own thread, not on V8's compiler threads: set once,
 * before the first worker's isolate is made (V8 gives an isolate its background compiler when it
 * is made, from this process-wide flag; isolates made before, the main thread's, keep theirs).
 * Node 20 aborts the whole process (`NodePlatform::ForIsolate ... Assertion failed`) when a
 * background compile job of a worker that is being torn down asks for the isolate's task runner,
 * which Node has already unregistered (its teardown unregisters the isolate before V8 stops the
 * isolate's compiler): seen twice in full runs of the test suite (issue 14 rounds 5 and 6), a
 * worker ending while V8 compiled for it. Without background compile jobs for workers, that race
 * has no party.
 * Measured on the 1M-event file (issue 14, round 6): 5 alternating pairs, total CPU 1.66-1.84 →
 * 1.61-1.69 s, wall 1.04-1.34 → 1.05-1.09 s (the worker +~0.07, V8's threads −~0.10).
 */
let workerCompileSet = false;
function compileInWorkerThreads(): void {
  if (workerCompileSet) return;
  workerCompileSet = true;
  setFlagsFromString('--no-concurrent-recompilation');
}

/** One parse worker thread, with the reader's copy of its string table and its message queue. */
export interface ParseWorker {
  readonly worker: Worker;
  /** The worker's string table as sent so far (it lives as long as the worker: across files). */
  readonly table: string[];
  /** The label object of each label-set entry of `table`, made on first use. */
  readonly labelObjs: (Record<string, unknown> | undefined)[];
  readonly queue: WorkerMessage[];
  waiting: ((m: WorkerMessage) => void) | undefined;
  /** The job (file) it runs, or ran last. */
  job: number;
  /** A cursor reads this job's messages; otherwise they are dropped. */
  attached: boolean;
  /** Its job's `end` or `error` came: it can take another file. */
  idle: boolean;
  /** Crashed or terminated: never given out again. */
  dead: boolean;
  /** Called once it is idle or dead (a start waiting for it). */
  readonly onIdle: (() => void)[];
}

/**
 * The parse workers of one read (read-events.ts, compact mode), kept from file to file.
 *
 * A new worker costs its isolate, its module load (~22 ms CPU), the wasm compile, and V8
 * optimising the scanner again: on a folder of 100 daily files (1M events) a worker per file
 * took 13.6 CPU-s against 2.0 for the same events in one file. So a worker whose file was read
 * to the end is given the next file; a worker left with its file unfinished (a read error, an
 * early stop) is terminated (see `release`). Files that overlap in time are read at the same
 * time, each by its own workers: the pool grows to what the overlap needs, and shrinks back to
 * MAX_IDLE idle workers after it.
 */
export class ParseWorkerPool {
  private readonly workers: ParseWorker[] = [];
  private jobs = 0;
  /** Workers started (ReadStats.parseWorkers). */
  spawned = 0;

  /**
   * A worker reading the file of `input` (its job number filled in): an idle one; else one
   * whose file was read to its end and whose `end` is on the way (the other workers of a
   * plain file read by several: their last batches were taken, so their `end` is imminent);
   * else a new one.
   */
  async start(input: Omit<WorkerInput, 'job'>): Promise<ParseWorker> {
    let pw: ParseWorker | undefined;
    for (;;) {
      pw = this.workers.find((w) => w.idle && !w.attached && !w.dead);
      if (pw !== undefined) break;
      const ending = this.workers.find((w) => !w.idle && !w.attached && !w.dead);
      if (ending === undefined) break;
      await new Promise<void>((r) => ending.onIdle.push(r));
    }
    if (pw === undefined) {
      pw = this.spawn();
      this.workers.push(pw);
    }
    pw.worker.ref(); // prestarted unreferenced (early-parse-worker.ts): the read waits for it now
    pw.job = ++this.jobs;
    pw.idle = false;
    pw.attached = true;
    pw.worker.postMessage({ kind: 'job', input: { ...input, job: pw.job } } satisfies WorkerJob);
    return pw;
  }

  /**
   * Starts `n` workers now, idle, for the files to come (read-events.ts, startParseWorkers):
   * each loads its modules and compiles its wasm while the caller gets on with its own start.
   * `start` gives them out first; `close` terminates them whether they were used or not.
   */
  prestart(n: number, opts: { unref?: boolean } = {}): void {
    for (let i = 0; i < n; i++) {
      try {
        const pw = this.spawn();
        // not keeping the process alive until a read takes it (early-parse-worker.ts)
        if (opts.unref === true) pw.worker.unref();
        this.workers.push(pw);
      } catch {
        // best effort (a thread limit: EAGAIN): the read's own start meets the error again and
        // reports it for its file, as without the early start
        return;
      }
    }
  }

  /**
   * The reader is done with `pw`. `finished`: the file was read to its end, so the worker's job
   * ends by itself (its `end` may still be on the way) and it stays for the next file. Otherwise
   * it is terminated, idle or not: it may wait for credits that will never come, or its last
   * batches (strings for the reader's copy of its table, a table reset) were never taken, so
   * that copy is no longer the worker's table.
   */
  release(pw: ParseWorker, finished: boolean): void {
    pw.attached = false;
    pw.queue.length = 0;
    pw.waiting = undefined;
    if (!finished) this.kill(pw);
    else if (pw.idle) this.trim();
  }

  /** The next message of the worker's job. */
  static next(pw: ParseWorker): Promise<WorkerMessage> {
    const m = pw.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((r) => (pw.waiting = r));
  }

  /** Workers held now, idle or not (prestarted ones included). */
  get size(): number {
    return this.workers.length;
  }

  /** Terminates every worker (the end of the read). */
  close(): void {
    for (const pw of [...this.workers]) this.kill(pw);
  }

  /** Idle workers beyond MAX_IDLE (left by files that overlapped in time) are terminated. */
  private trim(): void {
    let idle = 0;
    for (const w of [...this.workers]) if (w.idle && !w.attached && !w.dead && ++idle > MAX_IDLE) this.kill(w);
  }

  private kill(pw: ParseWorker): void {
    this.forget(pw);
    if (pw.dead) return;
    pw.dead = true;
    void pw.worker.terminate();
    wake(pw);
  }

  /** Out of the pool (with the reader's copy of its table). */
  private forget(pw: ParseWorker): void {
    const i = this.workers.indexOf(pw);
    if (i >= 0) this.workers.splice(i, 1);
  }

  private spawn(): ParseWorker {
    compileInWorkerThreads();
    // counted once the thread exists (a constructor that throws started nothing)
    const worker = new Worker(new URL('./parse-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB } });
    this.spawned++;
    const pw: ParseWorker = {
      worker,
      table: [],
      labelObjs: [],
      queue: [],
      waiting: undefined,
      job: 0,
      attached: false,
      idle: true,
      dead: false,
      onIdle: [],
    };
    const deliver = (m: WorkerMessage): void => {
      if (m.job !== pw.job) return; // a job the reader has let go of
      if (m.kind !== 'batch') {
        pw.idle = true;
        wake(pw);
        if (!pw.attached) this.trim();
      }
      if (!pw.attached) return;
      const w = pw.waiting;
      if (w) {
        pw.waiting = undefined;
        w(m);
      } else pw.queue.push(m);
    };
    pw.worker.on('message', deliver);
    pw.worker.on('error', (e) => {
      pw.dead = true; // it has stopped: never terminated, never given out again
      this.forget(pw);
      deliver({ kind: 'error', job: pw.job, message: e.message });
      wake(pw);
    });
    return pw;
  }
}

function wake(pw: ParseWorker): void {
  for (const r of pw.onIdle.splice(0)) r();
}
