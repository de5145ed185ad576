/**
 * One parse worker of a build over a file, alone: the main thread only acknowledges its batches
 * and hashes every column, string table and count of them. A profiling aid, not part of the
 * bench (issue 14, round 5, docs/performance.md): the worker's CPU without the main thread's
 * analysis competing for the cores, and a check that two builds post the same batches.
 *
 *   node --require ./bench/thread-cpu.cjs bench/parse-worker-alone.mjs cli/dist FILE
 *
 * DIST is a built `cli/dist` (or a copy of one inside a tree whose node_modules resolve
 * `voicemode-events`). Prints the events, batches, wall time and the hash; thread-cpu.cjs adds
 * the worker's CPU seconds. `--cpu-prof` writes the worker's own profile too.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const [dist, file] = process.argv.slice(2);
if (dist === undefined || file === undefined) {
  process.stderr.write('usage: node bench/parse-worker-alone.mjs DIST FILE\n');
  process.exit(2);
}
const { STRIDE, NUM_STRIDE, USAGE_STRIDE } = await import(pathToFileURL(resolve(dist, 'reader/worker-protocol.js')).href);
const size = statSync(file).size;
const t0 = performance.now();
// as the reader starts a worker: one of one, 1 MiB chunks, 3 batches in flight
// a gzip file's batches count the compressed bytes read so far, which depend on timing: left out of its hash
const input = { job: 1, path: file, gz: file.endsWith('.gz'), file: 0, chunkBytes: 1 << 20, maxInFlight: 3, index: 0, workers: 1, size, maxLineBytes: 8 << 20 };
const w = new Worker(pathToFileURL(resolve(dist, 'reader/parse-worker.js')), {
  workerData: input, // builds before the worker pool read their file from here (and ignore the job below)
  resourceLimits: { maxYoungGenerationSizeMb: 6 },
});
w.postMessage({ kind: 'job', input });
const h = createHash('sha1');
let events = 0;
let batches = 0;
w.on('message', (m) => {
  if (m.kind === 'batch') {
    batches++;
    events += m.n;
    // the used part of each column (the arrays are larger than their entries)
    h.update(new Uint8Array(m.ts.buffer, 0, m.n * 8));
    h.update(new Uint8Array(m.ints.buffer, 0, m.n * STRIDE * 4));
    h.update(JSON.stringify([m.reset, m.fresh, m.spans, m.lines, m.skipped, m.long, m.numsN, m.usageN, m.nonFinite, input.gz ? null : m.bytes]));
    h.update(new Uint8Array(m.nums.buffer, 0, m.numsN * NUM_STRIDE * 8));
    h.update(new Uint8Array(m.usage.buffer, 0, m.usageN * USAGE_STRIDE * 8));
    w.postMessage('ack');
  } else if (m.kind === 'end') {
    process.stdout.write(`events ${events} batches ${batches} wall ${(performance.now() - t0).toFixed(0)} ms hash ${h.digest('hex').slice(0, 16)}\n`);
    w.postMessage('stop');
  } else {
    process.stderr.write(`${JSON.stringify(m)}\n`);
    process.exit(1);
  }
});
