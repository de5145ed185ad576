'use strict';
/**
 * The preload of bench/thread-timeline.mjs (a profiling aid), run in the main thread and in every
 * worker thread (workers inherit execArgv). Appends to /tmp/thread-timeline-<pid>.marks, times in
 * CLOCK_MONOTONIC ms: this thread's id and when its preload ran, each GC pause of its isolate, and
 * a few marks: a Worker constructed, a worker's first message posted, the main thread's first
 * 'ack' (it took its first batch).
 */
const fs = require('node:fs');
const wt = require('node:worker_threads');
const { PerformanceObserver, performance } = require('node:perf_hooks');

const file = `/tmp/thread-timeline-${process.pid}.marks`;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
let tid = String(process.pid);
try {
  tid = fs.readlinkSync('/proc/thread-self').split('/').pop();
} catch {
  // not Linux
}
const put = (kind, t, rest = '') => {
  try {
    fs.appendFileSync(file, `${tid} ${kind} ${t.toFixed(3)}${rest === '' ? '' : ` ${rest}`}\n`);
  } catch {
    // nothing to do
  }
};
put(wt.isMainThread ? 'main' : 'worker', nowMs());
const offset = nowMs() - performance.now();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) put('gc', offset + e.startTime, e.duration.toFixed(2));
}).observe({ entryTypes: ['gc'] });

if (wt.isMainThread) {
  const Base = wt.Worker;
  let acked = false;
  wt.Worker = class extends Base {
    constructor(...args) {
      put('mark', nowMs(), 'new Worker');
      super(...args);
    }
    postMessage(m, ...rest) {
      if (m === 'ack' && !acked) {
        acked = true;
        put('mark', nowMs(), 'first ack');
      }
      return super.postMessage(m, ...rest);
    }
  };
  require('node:module').syncBuiltinESMExports();
} else if (wt.parentPort) {
  const port = wt.parentPort;
  const post = port.postMessage.bind(port);
  let first = true;
  port.postMessage = (m, ...rest) => {
    if (first) {
      first = false;
      put('mark', nowMs(), 'first post');
    }
    return post(m, ...rest);
  };
}
