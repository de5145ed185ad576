import { outputRedactor } from '../redact-output.js';
import { Command } from 'commander';
import { TurnAssigner } from '../analysis/turns.js';
import { deriveMetrics, isSegment, METRIC_NAMES, type MetricName, type MetricSample, SEGMENT_NAMES, type SegmentName } from 'voicemode-events/metrics';
import { DataError } from '../reader/errors.js';
import type { FileEvent } from '../reader/parse-line.js';
import { iso, micro, outputColumns, sec, useColor, wrapParts, writeOut } from '../format.js';
import { addVerboseOption, readInputs, type InputOptions } from '../input.js';
import { escapeControl } from '../terminal-text.js';

interface TimelineOptions extends InputOptions {
  session: string;
}

function compactData(data: Record<string, unknown>, max = 100): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    const text = typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
    parts.push(`${k}=${text}`);
  }
  const s = escapeControl(parts.join(' '));
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export function timelineCommand(): Command {
  const cmd = new Command('timeline')
    .description("One session's events with times relative to its start, grouped by turn, with each turn's metrics")
    .argument('[paths...]', 'log files or folders (.jsonl, .jsonl.gz); default: the configured log folder')
    .requiredOption('--session <id>', 'the session to show (session_id of its lines)')
    .option('--json', 'print one JSON object instead of text');
  addVerboseOption(cmd);
  return cmd
    .addHelpText('after', '\nExample:\n  $ voicemode-events timeline --session conv_1795464595760_99070c ~/voicemode_logs\n')
    .action(async (paths: string[], opts: TimelineOptions) => {
      const events: FileEvent[] = [];
      await readInputs(paths, opts, { session: opts.session }, (ev) => {
        events.push(ev);
      });
      if (events.length === 0) throw new DataError(`no events for session ${JSON.stringify(opts.session)}`);
      events.sort((a, b) => a.timestampUs - b.timestampUs);
      const startUs = events[0]!.timestampUs;
      const endUs = events[events.length - 1]!.timestampUs;
      const ta = new TurnAssigner();
      const turnOf = events.map((e) => ta.assign(e.eventType, e.turn));
      const { samples, totals } = deriveMetrics(events);
      const turnNumbers = [...ta.seen].sort((a, b) => a - b);
      const metricsOf = (turn: number): Partial<Record<MetricName, number[]>> => {
        const m: Partial<Record<MetricName, number[]>> = {};
        for (const s of samples) if (s.turn === turn && !isSegment(s.metric)) (m[s.metric] ??= []).push(micro(s.seconds));
        return m;
      };
      const repliesOf = (turn: number): ReplyBreakdown[] => replies(samples.filter((s) => s.turn === turn));
      const rel = (us: number): number => (us - startUs) / 1e6;
      const redact = outputRedactor();

      if (opts.json) {
        const ev = (e: FileEvent): Record<string, unknown> => ({
          offset_s: micro(rel(e.timestampUs)),
          timestamp: iso(e.timestampUs),
          event_type: e.eventType,
          data: redact.data(e.data),
        });
        const out = {
          session_id: opts.session,
          start: iso(startUs),
          end: iso(endUs),
          duration_s: micro(rel(endUs)),
          events: events.length,
          session_events: events.filter((_, i) => turnOf[i] === undefined).map(ev),
          turns: turnNumbers.map((t) => ({
            turn: t,
            events: events.filter((_, i) => turnOf[i] === t).map(ev),
            metrics: metricsOf(t),
            replies: repliesOf(t),
            interrupted: events.some((e, i) => turnOf[i] === t && e.eventType === 'TTS_INTERRUPTED'),
          })),
          incomplete: totals.incomplete,
        };
        await writeOut(JSON.stringify(out) + '\n');
        return;
      }

      const bold = useColor() ? (s: string) => `\x1b[1m${s}\x1b[22m` : (s: string) => s;
      const line = (e: FileEvent): string => `  ${('+' + rel(e.timestampUs).toFixed(3) + 's').padStart(10)}  ${escapeControl(e.eventType).padEnd(20)} ${compactData(redact.data(e.data), Math.max(20, outputColumns() - 35))}`.trimEnd();
      const out: string[] = [];
      const title = `Session ${escapeControl(opts.session)}`;
      const info = `start ${iso(startUs)}  duration ${sec(rel(endUs))}  events ${events.length}  turns ${turnNumbers.length}`;
      out.push(bold(title) + (title.length + 2 + info.length <= outputColumns() ? '  ' : '\n  ') + info);
      const sessionLevel = events.filter((_, i) => turnOf[i] === undefined);
      for (const e of sessionLevel.filter((e) => e.timestampUs === startUs || e.eventType === 'SESSION_START')) out.push(line(e));
      for (const t of turnNumbers) {
        out.push(bold(`Turn ${t}`));
        for (let i = 0; i < events.length; i++) if (turnOf[i] === t) out.push(line(events[i]!));
        const m = metricsOf(t);
        const parts = METRIC_NAMES.filter((k) => m[k]).map((k) => `${k} ${m[k]!.map((v) => sec(v)).join(', ')}`);
        out.push(wrapParts('  metrics: ', parts.length ? parts : ['(none)'], outputColumns()));
        for (const r of repliesOf(t)) out.push(`  reply: ${replyLine(r)}`);
        if (events.some((e, i) => turnOf[i] === t && e.eventType === 'TTS_INTERRUPTED')) out.push('  interrupted: the user talked over the reply (barge-in)');
      }
      for (const e of sessionLevel.filter((e) => !(e.timestampUs === startUs || e.eventType === 'SESSION_START'))) out.push(line(e));
      const inc = METRIC_NAMES.filter((m) => totals.incomplete[m] > 0).map((m) => `${m} ${totals.incomplete[m]}`);
      if (inc.length) out.push(`Incomplete pairs: ${inc.join(', ')}`);
      await writeOut(out.join('\n') + '\n');
    });
}

/** One reply's voice_to_voice and its segments (they add up to it). */
type ReplyBreakdown = { voice_to_voice: number } & Record<SegmentName, number>;

/** Groups a turn's samples into replies: the deriver emits voice_to_voice, then its five segments. */
function replies(samples: readonly MetricSample[]): ReplyBreakdown[] {
  const out: ReplyBreakdown[] = [];
  for (const s of samples) {
    if (s.metric === 'voice_to_voice') out.push({ voice_to_voice: s.seconds, endpointing: 0, stt: 0, llm: 0, tts_wait: 0, tts_first_audio: 0 });
    else if (isSegment(s.metric) && out.length > 0) out[out.length - 1]![s.metric] = s.seconds;
  }
  return out;
}

function replyLine(r: ReplyBreakdown): string {
  return `voice_to_voice ${sec(r.voice_to_voice)} = ` + SEGMENT_NAMES.map((n) => `${n} ${sec(r[n])}`).join(' + ');
}
