import type { Analysis, AnalyzerOptions } from './analysis/analyzer.js';
import type { EventFilter } from './analysis/filter.js';
import { discoverInputs, readFiles, type InputOptions, type RunInput } from './input.js';
import { boundHeapGrowth, capYoungGeneration } from './heap-growth.js';

/**
 * Inputs smaller than this are parsed in this thread (ReadOptions.workersFrom). Measured on the
 * 2-core machine (docs/performance.md, "Issue 14, round 5: small inputs in-thread"): 2,000 events
 * 0.27 → 0.15 CPU-s; 100k events (23 MB) in-thread still 0.55 against 0.63 CPU-s, but
 * from about there a worker's parallel parse wins wall time on a quiet machine.
 */
export const WORKERS_FROM_BYTES = 8 << 20;

/**
 * Read → (file order) backwards detection → per-session sort → analysis. The analysis (and
 * d3-array) is loaded once there are files to analyse: a command that ends in "no event
 * logs" starts and stops in Node's start-up time (issue 14 item 6). V8's heap growth is
 * bounded for the read (heap-growth.ts: the peak RSS at 10M events).
 */
export async function analyzeInputs(
  paths: readonly string[],
  opts: InputOptions,
  filter: EventFilter,
  aopts: Omit<AnalyzerOptions, 'files'>,
): Promise<RunInput & { analysis: Analysis }> {
  const found = await discoverInputs(paths);
  boundHeapGrowth();
  const [{ Analyzer }, { SessionSorter }] = await Promise.all([import('./analysis/analyzer.js'), import('./reader/session-sorter.js')]);
  const files: string[] = [];
  const analyzer = new Analyzer({ ...aopts, files });
  const sorter = new SessionSorter((events) => analyzer.addSession(events));
  const run = await readFiles(found, opts, filter, (ev) => {
    analyzer.observe(ev);
    sorter.push(ev);
  }, { compact: true, workersFrom: WORKERS_FROM_BYTES, afterChunk: capYoungGeneration });
  for (const f of run.files) files.push(f.path);
  sorter.finish();
  return { ...run, analysis: analyzer.finish() };
}
