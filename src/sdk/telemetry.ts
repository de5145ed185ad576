import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { resolveConfig, warnStderr, type EventLogOptions, type Warn } from '../config.js';
import { endOpenSessions } from '../instrument/session.js';
import { TRACER_NAME, VoiceEvents } from '../instrument/voice-events.js';
import { JsonlFileWriter } from '../sink/jsonl-file-writer.js';
import { JsonlEventProcessor } from '../sink/jsonl-processor.js';
import type { Clock } from '../time/clock.js';
import { installExitHooks } from './exit-hooks.js';

export interface TelemetryOptions extends EventLogOptions {
  /** `service.name` of the resource. Default `voicemode`. */
  serviceName?: string;
  /** More span processors (your own exporters) next to the JSONL sink. */
  spanProcessors?: SpanProcessor[];
  /**
   * Events a span may keep. The SDK default (128) silently drops the rest; a long session
   * needs more. The JSONL file keeps every event whatever this is. Default 10,000.
   */
  eventCountLimit?: number;
  /** Register as the global tracer provider (and AsyncLocalStorage context manager). Default true. */
  register?: boolean;
  /** Flush and close sessions on exit, SIGINT and SIGTERM. Default true. */
  handleExit?: boolean;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  warn?: Warn;
}

export interface Telemetry {
  readonly provider: NodeTracerProvider;
  /** The JSONL sink, when enabled. */
  readonly jsonl: JsonlEventProcessor | undefined;
  /** The instrumentation API bound to this provider. */
  readonly voice: VoiceEvents;
  /** Folder of the JSONL files (also when disabled: where they would go). */
  readonly logDir: string;
  forceFlush(): Promise<void>;
  /** Ends open sessions (reason "shutdown"), flushes everything and stops. Idempotent. */
  shutdown(): Promise<void>;
}

export const DEFAULT_EVENT_COUNT_LIMIT = 10_000;

/**
 * The one SDK wiring entry: a NodeTracerProvider with the JSONL sink (the embedded
 * default, no server needed) plus whatever processors you add. Apps with their own
 * provider skip this and add `new JsonlEventProcessor()` to it instead.
 */
export function startTelemetry(options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? process.env;
  const warn = options.warn ?? warnStderr;
  const config = resolveConfig(options, env);
  const jsonl = config.enabled
    ? new JsonlEventProcessor({
        writer: new JsonlFileWriter({ dir: config.dir, rotation: config.rotation, flushIntervalMs: config.flushIntervalMs, warn }),
      })
    : undefined;

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? env.OTEL_SERVICE_NAME ?? 'voicemode' }),
    spanLimits: { eventCountLimit: options.eventCountLimit ?? DEFAULT_EVENT_COUNT_LIMIT },
    spanProcessors: [...(jsonl ? [jsonl] : []), ...(options.spanProcessors ?? [])],
  });
  if (options.register !== false) provider.register();

  const voice = new VoiceEvents({ tracer: provider.getTracer(TRACER_NAME), ...(options.clock ? { clock: options.clock } : {}) });

  const uninstall =
    options.handleExit === false
      ? () => undefined
      : installExitHooks({
          endSessions: (reason) => void endOpenSessions(reason),
          flush: () => provider.forceFlush(),
          flushSync: () => jsonl?.writer.flushSync(),
        });

  let stopped: Promise<void> | undefined;
  return {
    provider,
    jsonl,
    voice,
    logDir: config.dir,
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        endOpenSessions('shutdown');
        uninstall();
        await provider.forceFlush().catch(() => undefined);
        await provider.shutdown().catch(() => undefined);
      })();
      return stopped;
    },
  };
}
