import type { Analysis, AnalyzerOptions } from './analysis/analyzer.js';
import type { EventFilter } from './analysis/filter.js';
import { discoverInputs, readFiles, type InputOptions, type RunInput } from './input.js';
import { boundHeapGrowth, capYoungGeneration } from './heap-growth.js';
import { takeEarlyParseWorkers } from './reader/early-parse-worker.js';

/**
 * Read → (file order) backwards detection → per-session sort → analysis. The reader and the
 * analysis (and d3-array) are loaded once there are files to analyse: a command that ends in
 * "no event logs" starts and stops in Node's start-up time, with no worker thread (issue 14
 * item 6). Once there are, the parse workers are started first, so that their start-up (~40 ms
 * of module loading and wasm compiling each, before they can read a byte) runs beside the
 * loading of the analysis and the peeks at the files instead of after them (issue 14, round 6).
 * V8's heap growth is bounded for the read (heap-growth.ts: the peak RSS at 10M events).
 */
export async function analyzeInputs(
  paths: readonly string[],
  opts: InputOptions,
  filter: EventFilter,
  aopts: Omit<AnalyzerOptions, 'files'>,
): Promise<RunInput & { analysis: Analysis }> {
  // the worker early-start.ts started as the process started, if it did (closed below if never read)
  let pool = takeEarlyParseWorkers();
  try {
    const found = await discoverInputs(paths);
    // process-wide V8 flags: set before any worker's isolate configures its heap
    boundHeapGrowth();
    const { defaultParseWorkers, startParseWorkers } = await import('./reader/read-events.js');
    // decided once for the run: the workers started now are the ones the read takes
    const parseWorkers = defaultParseWorkers();
    pool = startParseWorkers(found, parseWorkers, pool);
    const [{ Analyzer }, { SessionSorter }] = await Promise.all([import('./analysis/analyzer.js'), import('./reader/session-sorter.js')]);
    const files: string[] = [];
    const analyzer = new Analyzer({ ...aopts, files });
    const sorter = new SessionSorter((events) => analyzer.addSession(events));
    const run = await readFiles(found, opts, filter, (ev) => {
      analyzer.observe(ev);
      sorter.push(ev);
    }, { compact: true, afterChunk: capYoungGeneration, parseWorkers, pool });
    for (const f of run.files) files.push(f.path);
    sorter.finish();
    return { ...run, analysis: analyzer.finish() };
  } finally {
    // the read closes it at its end; this covers a failure before the read (a worker thread left running would keep the process alive)
    pool?.close();
  }
}
