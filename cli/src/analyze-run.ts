import { Analyzer, type Analysis, type AnalyzerOptions } from './analysis/analyzer.js';
import type { EventFilter } from './analysis/filter.js';
import { SessionSorter } from './reader/session-sorter.js';
import { readInputs, type InputOptions, type RunInput } from './input.js';

/** Read → (file order) backwards detection → per-session sort → analysis. */
export async function analyzeInputs(
  paths: readonly string[],
  opts: InputOptions,
  filter: EventFilter,
  aopts: Omit<AnalyzerOptions, 'files'>,
): Promise<RunInput & { analysis: Analysis }> {
  const files: string[] = [];
  const analyzer = new Analyzer({ ...aopts, files });
  const sorter = new SessionSorter((events) => analyzer.addSession(events));
  const run = await readInputs(paths, opts, filter, (ev) => {
    analyzer.observe(ev);
    sorter.push(ev);
  }, { compact: true });
  for (const f of run.files) files.push(f.path);
  sorter.finish();
  return { ...run, analysis: analyzer.finish() };
}
