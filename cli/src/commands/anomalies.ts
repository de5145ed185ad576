import { Command } from 'commander';
import { analyzeInputs } from '../analyze-run.js';
import { statsJson, writeOut } from '../format.js';
import { addTimeOptions, addVerboseOption, baseFilter, type InputOptions } from '../input.js';
import { anomaliesJson, anomaliesText } from '../render-anomalies.js';
import { positiveIntArg } from './summary.js';
import { addExactSamplesOption } from '../exact-samples-option.js';

interface AnomaliesOptions extends InputOptions {
  limit: number;
  exactSamples?: number;
}

export function anomaliesCommand(): Command {
  const cmd = new Command('anomalies')
    .description('Turns far slower than the norm for their provider (median + 3.5 x scaled MAD), unpaired starts, timestamps going backwards, error bursts')
    .argument('[paths...]', 'log files or folders (.jsonl, .jsonl.gz); default: the configured log folder')
    .option('--session <id>', 'only this session')
    .option('--limit <n>', 'rows per table', positiveIntArg('--limit'), 50)
    .option('--json', 'print one JSON object with every anomaly');
  addExactSamplesOption(cmd);
  addTimeOptions(cmd);
  addVerboseOption(cmd);
  return cmd
    .addHelpText('after', '\nExample:\n  $ voicemode-events anomalies ~/voicemode_logs --since 7d --limit 20\n')
    .action(async (paths: string[], opts: AnomaliesOptions) => {
      const { stats, analysis } = await analyzeInputs(paths, opts, baseFilter(opts), { details: true, exactSamples: opts.exactSamples });
      if (opts.json) {
        await writeOut(statsJson({ events: analysis.events, skipped_lines: stats.skippedLines, ...anomaliesJson(analysis, true) }) + '\n');
      } else {
        await writeOut(anomaliesText(analysis, opts.limit));
      }
    });
}
