/**
 * Main-thread CPU of `summary`'s stages on one file, for A/B work on the main thread (issue 14,
 * round 4 in docs/performance.md). A profiling aid, not part of the bench. The whole-run CPU
 * moves by ±0.05 s with the parse worker and V8's compiler threads on a shared machine; the
 * main thread's own stages, read from /proc/thread-self/stat (Linux, 10 ms ticks), move by
 * ±10 ms.
 *
 *   node bench/main-thread-stages.mjs FILE MODE [BUILD]
 *
 * BUILD: a folder holding a build's `dist/` and `cli/dist/` (default: this repository, after
 * `npm run build`). MODE, cumulative as `analyzeInputs` chains them:
 *   read     the reader alone (batches received, events built, the merge)
 *   sort     + the session sorter (events released, nobody reads them)
 *   usage    + the usage counter of `Analyzer.observe`
 *   check    + the backwards check of `Analyzer.observe` (without usage)
 *   observe  + all of `Analyzer.observe`
 *   all      + the analysis of released sessions, then `Analyzer.finish()` timed apart
 *   derive   the released events pushed through a fresh MetricsDeriver 12 times: CPU per pass
 *   store    their samples added to a fresh SampleStore 12 times: CPU per pass
 *   replay   the file's events (kept from one read) through a fresh Analyzer's `observe`, a fresh
 *            session sorter and `addSession` 8 times, each type string restored first: CPU per
 *            pass in ns-precise /proc/thread-self/schedstat (issue 14, round 8: the main thread's
 *            analysis without the reader, ±10 ms between passes on a busy 2-core machine)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, mode = 'all', buildArg = '.'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/main-thread-stages.mjs FILE MODE [BUILD]');
const build = pathToFileURL(resolve(buildArg)).href;
/** This thread's CPU, ms (utime + stime). */
function cpuMs() {
  const stat = readFileSync('/proc/thread-self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** This thread's CPU, ms, from schedstat (ns). */
const cpuMsFine = () => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;

const { discoverInputs, readFiles } = await import(`${build}/cli/dist/input.js`);
const { Analyzer } = await import(`${build}/cli/dist/analysis/analyzer.js`);
const { SessionSorter } = await import(`${build}/cli/dist/reader/session-sorter.js`);
const { SampleStore } = await import(`${build}/cli/dist/analysis/sample-store.js`);
const { MetricsDeriver } = await import(`${build}/dist/metrics/index.js`);
const found = await discoverInputs([file]);
const analyzer = new Analyzer({ files: [] });
// the analyzer's parts (`usage`, `lastInFile`) are reached past TypeScript's `private`
const released = [];
const keep = mode === 'derive' || mode === 'store';
const inFile = [];
const sorter = new SessionSorter(mode === 'all' ? (events) => analyzer.addSession(events) : keep ? (events) => { for (const ev of events) released.push(ev); } : () => {});
const check = (ev) => {
  if (!(ev.sessionId === null && ev.spanId === undefined)) analyzer['lastInFile'].check(ev.sessionId, ev.spanId ?? '', ev.timestampUs);
  if (ev.eventType === 'SESSION_END' && ev.sessionId !== null) analyzer['lastInFile'].endSession(ev.sessionId);
};
const onEvent = {
  read: () => {},
  usage: (ev) => (analyzer['usage'].push(ev), sorter.push(ev)),
  check: (ev) => (check(ev), sorter.push(ev)),
  observe: (ev) => (analyzer.observe(ev), sorter.push(ev)),
  all: (ev) => (analyzer.observe(ev), sorter.push(ev)),
  sort: (ev) => sorter.push(ev),
  derive: (ev) => sorter.push(ev),
  store: (ev) => sorter.push(ev),
  replay: (ev) => inFile.push(ev),
}[mode];
if (onEvent === undefined) throw new Error(`unknown mode ${mode}`);

const c0 = cpuMs();
await readFiles(found, {}, {}, onEvent, { compact: true });
if (mode !== 'read') sorter.finish();
const c1 = cpuMs();
if (mode === 'replay') {
  // the reader's own strings, restored before each pass (observe hands on other ones: type-names.ts)
  const types = inFile.map((ev) => ev.eventType);
  const passes = [];
  for (let r = 0; r < 8; r++) {
    for (let i = 0; i < inFile.length; i++) inFile[i].eventType = types[i];
    const t = cpuMsFine();
    const a = new Analyzer({ files: [] });
    const so = new SessionSorter((events) => a.addSession(events));
    for (const ev of inFile) {
      a.observe(ev);
      so.push(ev);
    }
    so.finish();
    passes.push(Math.round(cpuMsFine() - t));
  }
  console.log(`replay: ${inFile.length} events; CPU ms per pass ${passes.join(' ')}; median of the last 6 ${median(passes.slice(2))}`);
} else if (mode === 'all') {
  analyzer.finish();
  console.log(`${mode}: main-thread CPU ${c1 - c0} ms reading to the last release, finish() ${cpuMs() - c1} ms`);
} else if (keep) {
  // only what the mode reads stays alive (a larger old generation makes the passes pay for full GCs)
  const samples = [];
  const events = released.length;
  if (mode === 'store') {
    const collect = new MetricsDeriver((s) => samples.push(s));
    for (const ev of released) collect.push(ev);
    collect.finish();
    released.length = 0;
  }
  const passes = [];
  for (let r = 0; r < 12; r++) {
    const t = cpuMs();
    if (mode === 'derive') {
      const d = new MetricsDeriver(() => {});
      for (const ev of released) d.push(ev);
      d.finish();
    } else {
      const st = new SampleStore({ details: false, labels: [] });
      for (const s of samples) st.add(s);
    }
    passes.push(cpuMs() - t);
  }
  console.log(`${mode}: ${events} events, ${samples.length} samples; CPU ms per pass ${passes.join(' ')}; median ${median(passes)}`);
} else console.log(`${mode}: main-thread CPU ${c1 - c0} ms`);
