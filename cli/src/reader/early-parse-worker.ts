import { boundHeapGrowth } from '../heap-growth.js';
import { ParseWorkerPool } from './parse-worker-pool.js';

/**
 * The first parse worker of a command that reads whole logs (summary, anomalies, report), started
 * as the process starts (early-start.ts), before the command's modules are loaded: its own start
 * (an isolate, its modules, its wasm compile: ~35 ms of CPU before it can read) then runs on the
 * other core while this thread loads the CLI, instead of after it (issue 14, round 8).
 *
 * The worker does not keep the process alive until the read takes it (`takeEarlyParseWorkers`):
 * a command that ends before reading (bad options) exits as it would without it.
 */
let early: ParseWorkerPool | undefined;

export function startEarlyParseWorker(): void {
  if (early !== undefined) return;
  // process-wide V8 flags, before the worker's isolate configures its heap (heap-growth.ts)
  boundHeapGrowth();
  early = new ParseWorkerPool();
  early.prestart(1, { unref: true });
}

/** The pool started early, once (from then on the caller's to close), or undefined. */
export function takeEarlyParseWorkers(): ParseWorkerPool | undefined {
  const p = early;
  early = undefined;
  return p;
}
