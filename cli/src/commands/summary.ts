import { Command, InvalidArgumentError, Option } from 'commander';
import { LABEL_KEYS, type LabelKey, quantilesJson } from '../analysis/store-options.js';
import { METRIC_NAMES, SEGMENT_NAMES } from 'voicemode-events/metrics';
import type { Analysis } from '../analysis/analyzer.js';
import { interruptions } from '../analysis/interruptions.js';
import { analyzeInputs } from '../analyze-run.js';
import { DIST_COLUMNS, distRow, iso, makeTable, sec, statsJson, writeOut, outputColumns, wrapLines } from '../format.js';
import { addTimeOptions, addVerboseOption, baseFilter, type InputOptions } from '../input.js';
import { anomaliesJson, anomaliesOneLine, anomaliesText } from '../render-anomalies.js';
import { conversationsJson, conversationsText } from '../render-conversations.js';
import { costText, usageText } from '../render-usage.js';
import { addPricesOption } from '../prices-option.js';
import { addExactSamplesOption, quantilesNoteText } from '../exact-samples-option.js';
import { pricesFromOptions } from '../analysis/prices.js';

interface SummaryOptions extends InputOptions {
  by?: LabelKey;
  exactSamples?: number;
  anomalies?: boolean;
  prices?: string;
}

export function summaryCommand(): Command {
  const cmd = new Command('summary')
    .description('Metric statistics (count, mean, min, p50, p90, p95, p99, max) plus sessions, turns, errors and incomplete pairs')
    .argument('[paths...]', 'log files or folders (.jsonl, .jsonl.gz); default: the configured log folder')
    .option('--session <id>', 'only this session')
    .addOption(new Option('--by <label>', 'break the metrics down by a label of the start event').choices([...LABEL_KEYS]))
    .option('--anomalies', 'list the anomalies (slow outliers, unpaired starts, backwards timestamps, error bursts)')
    .option('--json', 'print one JSON object instead of tables');
  addPricesOption(cmd);
  addExactSamplesOption(cmd);
  addTimeOptions(cmd);
  addVerboseOption(cmd);
  return cmd
    .addHelpText(
      'after',
      '\nExamples:\n  $ voicemode-events summary ~/voicemode_logs --since 7d\n  $ voicemode-events summary logs/voicemode_events_2026-11-23.jsonl --by provider --json | jq .metrics.ttfa\n',
    )
    .action(async (paths: string[], opts: SummaryOptions) => {
      const prices = await pricesFromOptions(opts.prices);
      const { files, stats, analysis: a } = await analyzeInputs(paths, opts, baseFilter(opts), {
        by: opts.by,
        details: opts.anomalies === true,
        prices,
        exactSamples: opts.exactSamples,
      });
      if (opts.json) {
        const out: Record<string, unknown> = {
          files: files.length,
          events: a.events,
          skipped_lines: stats.skippedLines,
          sessions: a.sessions,
          metrics: a.metrics,
          quantiles: quantilesJson(a.quantiles),
          breakdown: a.breakdown,
          breakdown_share: breakdownShares(a),
          turns: a.turns,
          errors: a.errors,
          incomplete: a.totals.incomplete,
          first_event: iso(a.firstUs),
          last_event: iso(a.lastUs),
          event_types: a.eventTypes,
          non_finite_lines: stats.nonFiniteLines,
          interruptions: interruptions(a),
          no_speech_recordings: a.totals.noSpeechRecordings,
          usage: a.usage,
          ...(a.cost === undefined ? {} : { cost: a.cost }),
          ...conversationsJson(a),
          unreadable_files: stats.unreadableFiles,
        };
        if (opts.by) {
          out.by = opts.by;
          out.groups = a.groups;
        }
        out.anomalies = anomaliesJson(a, opts.anomalies === true);
        await writeOut(statsJson(out) + '\n');
        return;
      }
      const lines: string[] = [];
      lines.push(
        `Files: ${files.length}   Events: ${a.events}   Skipped lines: ${stats.skippedLines}   Sessions: ${a.sessions}   Turns: ${a.turns}   Errors: ${a.errors}`,
      );
      if (a.firstUs !== null) lines.push(`From ${iso(a.firstUs)} to ${iso(a.lastUs)}`);
      if (stats.nonFiniteLines > 0) lines.push(`Lines with NaN / Infinity (read as null): ${stats.nonFiniteLines}`);
      lines.push(conversationsText(a).trimEnd());
      const cut = interruptions(a);
      if (cut.count > 0 || a.totals.noSpeechRecordings > 0) {
        const rate = cut.rate === null ? '-' : `${(100 * cut.rate).toFixed(1)}%`;
        lines.push(`Barge-ins: ${cut.count} of ${cut.replies} TTS operations (${rate})   Recordings with no speech (VAD): ${a.totals.noSpeechRecordings}`);
      }
      const t = makeTable(['metric', ...DIST_COLUMNS]);
      for (const m of METRIC_NAMES) t.push([m, ...distRow(a.metrics[m])]);
      lines.push(t.toString());
      const approx = quantilesNoteText(a.quantiles);
      if (approx) lines.push(approx);
      if (a.metrics.voice_to_voice.count > 0) {
        lines.push('Where a reply\'s time goes (voice_to_voice = endpointing + stt + llm + tts_wait + tts_first_audio):');
        const shares = breakdownShares(a);
        const b = makeTable(['segment', 'mean', 'p95', 'share']);
        for (const seg of SEGMENT_NAMES) {
          const d = a.breakdown[seg];
          b.push([seg, sec(d.mean), sec(d.p95), `${(100 * (shares[seg] ?? 0)).toFixed(1)}%`]);
        }
        lines.push(b.toString());
      }
      if (opts.by && a.groups) {
        lines.push(`\nBy ${opts.by}:`);
        const g = makeTable([opts.by, 'metric', ...DIST_COLUMNS]);
        for (const [name, metrics] of Object.entries(a.groups)) {
          for (const m of METRIC_NAMES) if (metrics[m].count > 0) g.push([name, m, ...distRow(metrics[m])]);
        }
        lines.push(g.toString());
      }
      const usage = usageText(a.usage);
      if (usage) lines.push(usage);
      if (a.cost) lines.push(costText(a.cost, a.usage));
      const inc = METRIC_NAMES.filter((m) => a.totals.incomplete[m] > 0).map((m) => `${m} ${a.totals.incomplete[m]}`);
      lines.push(`Incomplete pairs (start without its end): ${inc.length ? inc.join(', ') : 'none'}`);
      await writeOut(wrapLines(lines.join('\n'), outputColumns()) + '\n');
      if (opts.anomalies) await writeOut('\n' + anomaliesText(a, 50));
      else await writeOut(anomaliesOneLine(a) + (a.anomalies.outlierCount + a.anomalies.errorBursts.length > 0 ? ' (details: --anomalies)' : '') + '\n');
    });
}

export function positiveIntArg(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
    return n;
  };
}

/** Each segment's share of the mean voice_to_voice (the segments' means add up to it). */
export function breakdownShares(a: Analysis): Record<string, number | null> {
  const total = a.metrics.voice_to_voice.mean;
  const out: Record<string, number | null> = {};
  for (const seg of SEGMENT_NAMES) {
    const mean = a.breakdown[seg].mean;
    out[seg] = total === null || total === 0 || mean === null ? null : mean / total;
  }
  return out;
}
