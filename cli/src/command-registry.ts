import type { Command } from 'commander';

/**
 * The commands of `voicemode-events`, without loading them. Each command's module (and what
 * it pulls in: the reader, the analysis, the OpenTelemetry SDK for `demo` and `replay`) is
 * imported only when that command runs; `voicemode-events --help` lists the commands from the
 * name, usage term and description kept here (issue 14 item 6: start-up within 100 ms).
 * test/command-registry.test.ts checks that every entry matches its real command, so the
 * listing cannot drift from the commands' own help.
 */
export interface CommandEntry {
  readonly name: string;
  /** How the program's help lists it (commander's subcommand term). */
  readonly term: string;
  readonly description: string;
  readonly load: () => Promise<Command>;
  /**
   * It reads whole logs through the parse workers (analyze-run.ts): early-start.ts starts the first
   * worker as the process starts (early-start.ts, reader/early-parse-worker.ts).
   */
  readonly parsesInWorkers?: true;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    term: 'demo [options]',
    description: 'Run simulated voice conversations through the real API and write their events (JSONL by default)',
    load: async () => (await import('./demo-command.js')).demoCommand(),
  },
  {
    name: 'summary',
    term: 'summary [options] [paths...]',
    description: 'Metric statistics (count, mean, min, p50, p90, p95, p99, max) plus sessions, turns, errors and incomplete pairs',
    load: async () => (await import('./commands/summary.js')).summaryCommand(),
    parsesInWorkers: true,
  },
  {
    name: 'timeline',
    term: 'timeline [options] [paths...]',
    description: "One session's events with times relative to its start, grouped by turn, with each turn's metrics",
    load: async () => (await import('./commands/timeline.js')).timelineCommand(),
  },
  {
    name: 'query',
    term: 'query [options] [paths...]',
    description: 'Print the matching lines as JSONL (original text, merged by time across files), streaming',
    load: async () => (await import('./commands/query.js')).queryCommand(),
  },
  {
    name: 'tail',
    term: 'tail [options] [dir]',
    description: "Follow the newest log file (across rotation to the next day's file), printing events and each turn's metrics as they complete",
    load: async () => (await import('./commands/tail.js')).tailCommand(),
  },
  {
    name: 'replay',
    term: 'replay [options] [paths...]',
    description: 'Rebuild sessions, turns and operation spans from JSONL with the original timestamps and export them over OTLP/HTTP (e.g. to Jaeger)',
    load: async () => (await import('./commands/replay.js')).replayCommand(),
  },
  {
    name: 'report',
    term: 'report [options] [paths...]',
    description: 'Write one self-contained HTML report: histograms, daily percentiles, breakdown by provider/model, slowest turns, barge-in, usage and cost, anomalies',
    load: async () => (await import('./commands/report.js')).reportCommand(),
    parsesInWorkers: true,
  },
  {
    name: 'anomalies',
    term: 'anomalies [options] [paths...]',
    description: 'Turns far slower than the norm for their provider (median + 3.5 x scaled MAD), unpaired starts, timestamps going backwards, error bursts',
    load: async () => (await import('./commands/anomalies.js')).anomaliesCommand(),
    parsesInWorkers: true,
  },
];

/**
 * The command a command line runs: the first word that is not one of the program's own
 * options (`-h`, `--help`, `-V`, `--version`, which take no value), or the word after `help`.
 * Undefined for the program's own help, its version, or nothing at all.
 */
/** The program's or a command's help is asked for: the command does not run. */
export function helpAsked(args: readonly string[]): boolean {
  const cut = args.indexOf('--');
  const opts = cut >= 0 ? args.slice(0, cut) : args;
  return opts.includes('-h') || opts.includes('--help') || commandToRun(args) === undefined || opts.filter((a) => !a.startsWith('-'))[0] === 'help';
}

export function commandToRun(args: readonly string[]): string | undefined {
  const cut = args.indexOf('--');
  const words = (cut >= 0 ? args.slice(0, cut) : args).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}
