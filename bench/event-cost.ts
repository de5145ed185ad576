import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { context, trace } from '@opentelemetry/api';
import { dataToAttributes } from '../src/events/attributes-codec.js';
import type { Session } from '../src/instrument/session.js';
import { CallTimer, median, tempDir, timerOverheadNs, yieldToLoop } from './harness.js';
import { rawParentContext, startOurs, startPino, startRawOtel } from './subjects.js';

/**
 * Item 1: the caller's cost of one event, side by side in one process.
 *
 * - ours: `session.logEvent('PROVIDER_SWITCH', data)` called inside a TTS operation's callback,
 *   so the event lands on the open operation span (found through AsyncLocalStorage), with the
 *   full pipeline listening. A new operation every `perSpan` events (ended outside the timing),
 *   as in an app: operations carry a handful of events, not tens of thousands.
 * - pino: `logger.info({ event_type, session_id, data })` to an async file destination.
 * - raw OTel: `span.addEvent(type, flatAttributes)` on an open SDK span (new span every `perSpan`).
 * - floor: a clock read and an array push.
 *
 * Subjects take turns chunk by chunk (ours, pino, otel, floor, ours, ...), so machine noise
 * spreads over all of them; between chunks the event loop runs (file writes happen there).
 */

export interface EventCostOptions {
  /** Calls timed per subject per repetition. */
  calls: number;
  repetitions: number;
  chunk: number;
  perSpan: number;
  warmupCalls: number;
  /** Also measure ours without a MeterProvider (what startTelemetry wires when no metrics reader is configured). */
  withoutMeters?: boolean;
}

export interface EventCostResult {
  event_ns_p50: number;
  event_ns_p99: number;
  pino_ns_p50: number;
  pino_ns_p99: number;
  otel_event_ns_p50: number;
  otel_event_ns_p99: number;
  floor_ns_p50: number;
  floor_ns_p99: number;
  /** Ours when startTelemetry has no metrics reader configured (JSONL sink + MetricsDeriver only). */
  event_no_meter_ns_p50: number;
  event_no_meter_ns_p99: number;
  timer_overhead_ns: number;
  metrics_wiring: string;
}

const DATA: Record<string, unknown> = { from: 'openai', to: 'kokoro', reason: 'timeout', attempt: 2, ok: true };

type Subject = 'ours' | 'pino' | 'otel' | 'floor';
const ALL: Subject[] = ['ours', 'pino', 'otel', 'floor'];

export async function measureEventCost(opts: EventCostOptions): Promise<EventCostResult> {
  const full = await eventCostPass(opts, ALL, true);
  const noMeter = opts.withoutMeters === false ? undefined : await eventCostPass(opts, ['ours'], false);
  const med = (r: PassResult | undefined, s: Subject, k: 'p50' | 'p99'): number =>
    r ? median(r.perRep[s].map((x) => x[k])) : Number.NaN;
  return {
    event_ns_p50: med(full, 'ours', 'p50'),
    event_ns_p99: med(full, 'ours', 'p99'),
    pino_ns_p50: med(full, 'pino', 'p50'),
    pino_ns_p99: med(full, 'pino', 'p99'),
    otel_event_ns_p50: med(full, 'otel', 'p50'),
    otel_event_ns_p99: med(full, 'otel', 'p99'),
    floor_ns_p50: med(full, 'floor', 'p50'),
    floor_ns_p99: med(full, 'floor', 'p99'),
    event_no_meter_ns_p50: med(noMeter, 'ours', 'p50'),
    event_no_meter_ns_p99: med(noMeter, 'ours', 'p99'),
    timer_overhead_ns: full.overhead,
    metrics_wiring: full.metricsWiring,
  };
}

interface PassResult {
  perRep: Record<Subject, { p50: number; p99: number }[]>;
  overhead: number;
  metricsWiring: string;
}

async function eventCostPass(opts: EventCostOptions, SUBJECTS: Subject[], withMeters: boolean): Promise<PassResult> {
  const tmp = tempDir('event');
  const ours = startOurs(join(tmp.dir, 'ours'), withMeters);
  const pinoSink = startPino(join(tmp.dir, 'pino.log'));
  const raw = startRawOtel();
  const rawCtx = rawParentContext(raw);
  const rawAttrs = dataToAttributes(DATA); // a raw OTel user passes flat attributes themselves
  const overhead = timerOverheadNs();
  const voice = ours.telemetry.voice;
  const floorArr: number[] = [];

  const perRep: Record<Subject, { p50: number; p99: number }[]> = { ours: [], pino: [], otel: [], floor: [] };

  try {
    await voice.session(async (session: Session) => {
      /** Runs `n` timed calls of one subject on `timer`, in chunks, opening spans as needed. */
      async function runSubject(subject: Subject, timer: CallTimer | undefined, n: number): Promise<void> {
        let done = 0;
        while (done < n) {
          const inSpan = Math.min(opts.perSpan, n - done);
          await oneSpan(subject, timer, inSpan);
          done += inSpan;
        }
      }

      async function oneSpan(subject: Subject, timer: CallTimer | undefined, n: number): Promise<void> {
        const time = (count: number, call: (i: number) => void): void => {
          if (timer) timer.run(count, call);
          else for (let i = 0; i < count; i++) call(i);
        };
        if (subject === 'ours') {
          await session.tts({ text: 'hello', provider: 'openai', voice: 'alloy' }, async () => {
            for (let done = 0; done < n; done += opts.chunk) {
              time(Math.min(opts.chunk, n - done), () => session.logEvent('PROVIDER_SWITCH', DATA));
              await yieldToLoop();
            }
          });
        } else if (subject === 'otel') {
          const span = raw.tracer.startSpan('tts', { attributes: { provider: 'openai' } }, rawCtx);
          await context.with(trace.setSpan(rawCtx, span), async () => {
            for (let done = 0; done < n; done += opts.chunk) {
              time(Math.min(opts.chunk, n - done), () => span.addEvent('PROVIDER_SWITCH', rawAttrs));
              await yieldToLoop();
            }
          });
          span.end();
        } else if (subject === 'pino') {
          const logger = pinoSink.logger;
          const sessionId = session.id;
          for (let done = 0; done < n; done += opts.chunk) {
            time(Math.min(opts.chunk, n - done), () => logger.info({ event_type: 'PROVIDER_SWITCH', session_id: sessionId, data: DATA }));
            await yieldToLoop();
          }
        } else {
          for (let done = 0; done < n; done += opts.chunk) {
            time(Math.min(opts.chunk, n - done), () => {
              floorArr.push(performance.now());
            });
            floorArr.length = 0;
            await yieldToLoop();
          }
        }
      }

      // Warm-up: every subject, untimed, until the JIT has settled.
      for (const s of SUBJECTS) await runSubject(s, undefined, opts.warmupCalls);
      await ours.telemetry.forceFlush();

      for (let rep = 0; rep < opts.repetitions; rep++) {
        const timers = Object.fromEntries(SUBJECTS.map((s) => [s, new CallTimer(opts.calls, overhead)])) as Record<Subject, CallTimer>;
        // Interleave subjects chunk by chunk (one span's worth at a time).
        for (let done = 0; done < opts.calls; done += opts.perSpan) {
          const n = Math.min(opts.perSpan, opts.calls - done);
          for (const s of SUBJECTS) await oneSpan(s, timers[s], n);
        }
        for (const s of SUBJECTS) perRep[s].push(timers[s].stats());
      }
    });
  } finally {
    await ours.shutdown();
    await pinoSink.close();
    await raw.shutdown();
    tmp.remove();
  }

  return { perRep, overhead, metricsWiring: ours.metricsWiring };
}
