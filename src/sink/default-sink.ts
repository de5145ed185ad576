import { ProxyTracerProvider, isSpanContextValid, trace } from '@opentelemetry/api';
import { resolveConfig, type EventLogOptions } from '../config.js';
import { defaultNotice, onceEach, type Warn } from '../warn.js';
import { liveEvents } from '../events/live-bus.js';
import { endOpenSessions } from '../instrument/session.js';
import { installExitHooks } from '../sdk/exit-hooks.js';
import { JsonlFileWriter } from './jsonl-file-writer.js';
import { scheduleRetention } from './retention.js';
import { processEnv, readLogEnv } from '../environment.js';

/**
 * The JSONL files without any OpenTelemetry SDK: what `new EventLogger()` starts when the app
 * has registered no tracer provider, because the spec's logger always writes its files.
 *
 * Spans are then no-op: no span processor sees their events. This sink takes every event
 * logged on a no-op span (no valid span context: logged while no provider was registered,
 * including events of sessions that started then), straight from the live bus, and writes it with
 * the same writer, line format, retention and exit handling as `startTelemetry()`. Events of a
 * registered provider's spans, recorded or sampled out, are that provider's business (never
 * written twice, and a sampler's decision holds). Needs only `@opentelemetry/api` and node:fs, so
 * the library's main entry does not load the SDK.
 */
export interface DefaultSink {
  readonly writer: JsonlFileWriter;
  readonly dir: string;
  /** Stops taking events, flushes and closes the writer. */
  shutdown(): Promise<void>;
}

let running: DefaultSink | undefined;

/** The no-op provider the API falls back to when none is registered (a singleton of the API). */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Whether the app registered a tracer provider with the OpenTelemetry API. */
export function tracerProviderRegistered(): boolean {
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  return delegate !== NOOP_PROVIDER;
}

/**
 * Starts the process's one default sink (later calls return it) and says so once on stderr
 * (or `warn`). Returns undefined when the JSONL log is disabled (VOICEMODE_EVENT_LOG_ENABLED).
 */
export function startDefaultSink(options: EventLogOptions & { warn?: Warn } = {}): DefaultSink | undefined {
  if (running !== undefined) return running;
  const warn = onceEach(options.warn);
  const cfg = resolveConfig(options, undefined, warn);
  if (!cfg.enabled) return undefined;
  const writer = new JsonlFileWriter({ dir: cfg.dir, rotation: cfg.rotation, flushIntervalMs: cfg.flushIntervalMs, warn });
  const unsubscribe = liveEvents.add((span, record) => {
    // A no-op span's ids are all zeros: the line carries none rather than a fake one.
    if (!isSpanContextValid(span.spanContext())) writer.write({ ...record, traceId: undefined, spanId: undefined });
  });
  const stopRetention = scheduleRetention(cfg.dir, readLogEnv(processEnv(), warn, ['retentionDays', 'compressAfterDays']), warn);
  const removeHooks = installExitHooks({
    endSessions: (reason) => void endOpenSessions(reason),
    activity: () => liveEvents.emitted,
    flush: () => writer.flush(),
    flushSync: () => writer.flushSync(),
  });
  (options.warn ?? defaultNotice)(
    `no OpenTelemetry tracer provider is registered: EventLogger writes the JSONL event log itself, to ${cfg.dir} ` +
      '(call startTelemetry() from voicemode-events/sdk first for traces and metrics too)',
  );
  const sink: DefaultSink = {
    writer,
    dir: cfg.dir,
    async shutdown() {
      unsubscribe();
      removeHooks();
      stopRetention();
      if (running === sink) running = undefined;
      await writer.shutdown();
    },
  };
  running = sink;
  return sink;
}
