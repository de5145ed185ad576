import { readdir } from 'node:fs/promises';
import Table from 'cli-table3';
import type { SessionMetrics } from 'voicemode-events';
import { type Env, isLogFileName, liveEvents, probeDir, processEnv, readOtelEnv, resolveConfig, warnStderr } from 'voicemode-events/internal';
import type { MetricName } from 'voicemode-events/metrics';
import { startTelemetry } from 'voicemode-events/sdk';
import type { PriceTable } from '../analysis/prices.js';
import { UsageCounter, type CostJson, type SessionUsage } from '../analysis/usage.js';
import { costText, money } from '../render-usage.js';
import { runConversation } from './conversation.js';

export interface DemoOptions {
  dir?: string;
  sessions: number;
  turns: number;
  seed: number;
  speed: number;
  /** Probability of a TTS error on an attempt (then retried once). */
  errorRate?: number;
  noSpeechRate?: number;
  /** Probability that the user talks over a reply. */
  bargeInRate?: number;
  env?: Env;
  out?: NodeJS.WritableStream;
  /** Price the demo's usage (its providers: openai tts-1 and gpt-4o-mini, whisper base). */
  prices?: PriceTable | undefined;
}

export interface DemoResult {
  sessions: SessionMetrics[];
  logDir: string;
  /** JSONL files in the folder after the run (empty when the folder was unusable). */
  files: string[];
  /** With prices: the run's cost, and each session's usage and cost by session id. */
  cost?: CostJson | undefined;
  sessionUsage?: Map<string, Readonly<SessionUsage>>;
}

/**
 * Runs simulated conversations concurrently through the public API with the embedded
 * JSONL sink, then prints each session's metrics. A folder it cannot use gives one
 * warning and the demo still completes: logging never takes the app down.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const env = options.env ?? processEnv();
  const out = options.out ?? process.stdout;
  const config = resolveConfig(options.dir === undefined ? {} : { dir: options.dir }, env);
  let enabled = config.enabled;
  if (enabled) {
    const problem = await probeDir(config.dir);
    if (problem) {
      warnStderr(`${problem}; the demo continues without writing JSONL files`);
      enabled = false;
    }
  }
  // Exports over OTLP when OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT is set; shutdown() below flushes it.
  const serviceName = readOtelEnv(env).serviceName ?? 'voicemode-demo';
  const telemetry = startTelemetry({ dir: config.dir, enabled, env, serviceName });
  out.write(
    // the table counts the opening greeting as a turn too
    `Running ${options.sessions} simulated conversation(s): a greeting and ${options.turns} user turn(s) each, seed ${options.seed}, speed x${options.speed}\n`,
  );
  // usage and cost from the events as they are logged (the same counting as `summary --prices`)
  const sessionUsage = new Map<string, Readonly<SessionUsage>>();
  const usage = options.prices === undefined ? undefined : new UsageCounter(options.prices, (sid, u) => sessionUsage.set(sid, { ...u }));
  const unlisten = usage === undefined ? undefined : liveEvents.add((_span, record) => usage.push(record));
  const sessions = await Promise.all(
    Array.from({ length: options.sessions }, (_, i) =>
      runConversation(telemetry.voice, {
        turns: options.turns,
        seed: options.seed + i,
        speed: options.speed,
        ...(options.errorRate === undefined ? {} : { errorRate: options.errorRate }),
        ...(options.noSpeechRate === undefined ? {} : { noSpeechRate: options.noSpeechRate }),
        ...(options.bargeInRate === undefined ? {} : { bargeInRate: options.bargeInRate }),
      }).then((s) => s.metrics()),
    ),
  );
  await telemetry.shutdown();
  unlisten?.();
  out.write(metricsTable(sessions) + '\n');
  let cost: CostJson | undefined;
  if (usage !== undefined) {
    cost = usage.cost()!;
    out.write(costTable(sessions, sessionUsage, cost.currency) + '\n' + costText(cost, usage.usage()) + '\n');
  }
  const files = enabled ? (await readdir(config.dir).catch(() => [])).filter((f) => isLogFileName(f, { gz: false })).sort() : [];
  if (enabled) out.write(`Events written to ${config.dir} (${files.join(', ')})\n`);
  return { sessions, logDir: config.dir, files, ...(cost === undefined ? {} : { cost, sessionUsage }) };
}

/** One row per session: its usage and cost (`unpriced` when some of its usage has no price). */
function costTable(sessions: SessionMetrics[], usage: Map<string, Readonly<SessionUsage>>, currency: string): string {
  const table = new Table({
    head: ['session', 'characters', 'audio s', 'tokens in', 'tokens out', 'cost'],
    style: { head: [], border: [], compact: true },
  });
  for (const s of sessions) {
    const u = usage.get(s.sessionId);
    if (u === undefined) continue;
    table.push([s.sessionId, u.characters, u.audio_s.toFixed(1), u.input_tokens, u.output_tokens, u.unpriced ? `unpriced (${money(u.cost, currency)} priced)` : money(u.cost, currency)]);
  }
  return 'Usage and cost per session:\n' + table.toString();
}

function fmt(seconds: number | undefined): string {
  return seconds === undefined ? '-' : seconds.toFixed(3);
}

/** The metrics the table shows, with short names so it fits a normal terminal (`summary` has them all). */
const COLUMNS: readonly (readonly [MetricName, string])[] = [
  ['stt_latency', 'stt'],
  ['llm_ttft', 'llm ttft'],
  ['ttfa', 'ttfa'],
  ['response_time', 'response'],
  ['voice_to_voice', 'voice-to-voice'],
];

/** One row per session: the mean of each metric (seconds) and the count of incomplete pairs. */
export function metricsTable(sessions: SessionMetrics[]): string {
  const table = new Table({
    head: ['session', 'turns', ...COLUMNS.map(([, short]) => short), 'incomplete'],
    style: { head: [], border: [], compact: true },
  });
  for (const s of sessions) {
    const incomplete = Object.values(s.incomplete).reduce((a, b) => a + b, 0);
    table.push([s.sessionId, s.turns, ...COLUMNS.map(([m]) => fmt(s.metrics[m]?.mean)), incomplete]);
  }
  return (
    'Mean per session, in seconds (llm ttft = time to first token; ttfa = time to first audio; response = end of\n' +
    'recording to reply start; voice-to-voice = end of speech to the reply heard):\n' +
    table.toString()
  );
}
