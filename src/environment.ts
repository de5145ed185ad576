import { REDACT_MODES, type RedactMode } from './events/sanitize.js';

/**
 * Every environment variable the library reads, parsed here and nowhere else (a test checks
 * that no other module of `src/` reads `process.env` or names a variable). Callers read an
 * area once (`startTelemetry()` reads each once per call) and pass the parsed values down;
 * options given in code override them; defaults are the callers'. A value that cannot be
 * parsed warns (through the caller's `warn`) and counts as unset.
 *
 * | variable | area | meaning |
 * |---|---|---|
 * | VOICEMODE_EVENT_LOG_DIR | log | folder of the JSONL files (default ~/voicemode_logs) |
 * | VOICEMODE_EVENT_LOG_ENABLED | log | true/false/1/0/yes/no (default true) |
 * | VOICEMODE_EVENT_LOG_ROTATION | log | daily, hourly, none (default daily) |
 * | VOICEMODE_EVENT_LOG_REDACT | log | none, text, all (default none) |
 * | VOICEMODE_EVENT_LOG_RETENTION_DAYS | log | delete files dated more than N days ago |
 * | VOICEMODE_EVENT_LOG_COMPRESS_AFTER_DAYS | log | gzip files dated more than M (>= 1) days ago |
 * | OTEL_SDK_DISABLED | otel | true: no OTLP export, no metrics (the JSONL files stay) |
 * | OTEL_SERVICE_NAME | otel | service.name (OTEL_RESOURCE_ATTRIBUTES: the SDK's env detector) |
 * | OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT | otel | OTLP for both signals (`v1/traces`, `v1/metrics` appended to the endpoint) |
 * | OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_HEADERS, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT | otel | spans only (endpoint used verbatim) |
 * | OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_HEADERS, OTEL_EXPORTER_OTLP_METRICS_TIMEOUT | otel | metrics only (endpoint used verbatim) |
 * | OTEL_BSP_MAX_QUEUE_SIZE | otel | spans waiting for export at most |
 * | OTEL_METRIC_EXPORT_INTERVAL, OTEL_METRIC_EXPORT_TIMEOUT | otel | metric export period and timeout (ms) |
 * | VOICEMODE_PROMETHEUS_PORT, VOICEMODE_PROMETHEUS_HOST | prometheus | a Prometheus /metrics endpoint (host default 127.0.0.1) |
 */
export type Env = Readonly<Record<string, string | undefined>>;
type WarnFn = (message: string) => void;

export type RotationName = 'daily' | 'hourly' | 'none';
const ROTATION_NAMES: readonly RotationName[] = ['daily', 'hourly', 'none'];

export interface LogEnv {
  dir?: string;
  enabled?: boolean;
  rotation?: RotationName;
  redact?: RedactMode;
  retentionDays?: number;
  compressAfterDays?: number;
}

export interface OtlpSignalEnv {
  endpoint?: string;
  headers: Record<string, string>;
  timeoutMs?: number;
}

export interface OtelEnv {
  sdkDisabled: boolean;
  serviceName?: string;
  /** The generic OTLP settings (the endpoint gets `v1/<signal>` appended by the caller). */
  otlp: OtlpSignalEnv;
  traces: OtlpSignalEnv;
  metrics: OtlpSignalEnv;
  bspMaxQueueSize?: number;
  metricExportIntervalMs?: number;
  metricExportTimeoutMs?: number;
}

export interface PrometheusEnv {
  host?: string;
  port?: number;
}

function text(raw: string | undefined): string | undefined {
  const t = raw?.trim();
  return t ? t : undefined;
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

function bool(env: Env, name: string, fallback: boolean, warn: WarnFn): boolean | undefined {
  const raw = env[name];
  const v = text(raw)?.toLowerCase();
  if (v === undefined) return undefined;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  warn(`${name}=${JSON.stringify(raw)} is not one of true/false/1/0/yes/no; using the default (${fallback})`);
  return undefined;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T, warn: WarnFn): T | undefined {
  const raw = env[name];
  const v = text(raw)?.toLowerCase();
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T;
  warn(`${name}=${JSON.stringify(raw)} is not one of ${values.join('/')}; using ${fallback}`);
  return undefined;
}

function days(env: Env, name: string, min: number, warn: WarnFn): number | undefined {
  const raw = env[name];
  if (text(raw) === undefined) return undefined;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= min) return n;
  warn(`${name}=${JSON.stringify(raw)} is not a whole number of days >= ${min}; ignored (files are kept)`);
  return undefined;
}

/** A positive number (integer when asked); anything else counts as unset (the SDK's own rule for these variables). */
function positive(raw: string | undefined, integer = false): number | undefined {
  if (text(raw) === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n)) ? n : undefined;
}

/** `a=b,c=d` (values URL-encoded) as the OTLP spec defines OTEL_EXPORTER_OTLP_HEADERS. Keys from the environment go into a null-prototype object. */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!raw) return out;
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    if (key) out[key] = value;
  }
  return out;
}

export const LOG_ENV_KEYS: readonly (keyof LogEnv)[] = ['dir', 'enabled', 'rotation', 'redact', 'retentionDays', 'compressAfterDays'];

/**
 * The JSONL log's variables; `keys` says which to read: those an option in code does not already
 * set, so a variable that is overridden (or belongs to a feature not in use) neither applies nor warns.
 */
export function readLogEnv(env: Env, warn: WarnFn, keys: readonly (keyof LogEnv)[] = LOG_ENV_KEYS): LogEnv {
  const out: LogEnv = {};
  const want = new Set(keys);
  const dir = want.has('dir') ? text(env.VOICEMODE_EVENT_LOG_DIR) : undefined;
  if (dir !== undefined) out.dir = dir;
  const enabled = want.has('enabled') ? bool(env, 'VOICEMODE_EVENT_LOG_ENABLED', true, warn) : undefined;
  if (enabled !== undefined) out.enabled = enabled;
  const rotation = want.has('rotation') ? oneOf(env, 'VOICEMODE_EVENT_LOG_ROTATION', ROTATION_NAMES, 'daily', warn) : undefined;
  if (rotation !== undefined) out.rotation = rotation;
  const redact = want.has('redact') ? readRedactEnv(env, warn) : undefined;
  if (redact !== undefined) out.redact = redact;
  const retention = want.has('retentionDays') ? days(env, 'VOICEMODE_EVENT_LOG_RETENTION_DAYS', 0, warn) : undefined;
  if (retention !== undefined) out.retentionDays = retention;
  const compress = want.has('compressAfterDays') ? days(env, 'VOICEMODE_EVENT_LOG_COMPRESS_AFTER_DAYS', 1, warn) : undefined;
  if (compress !== undefined) out.compressAfterDays = compress;
  return out;
}

/** VOICEMODE_EVENT_LOG_REDACT alone (the instrumentation and the CLI need only this one). */
export function readRedactEnv(env: Env, warn: WarnFn): RedactMode | undefined {
  return oneOf(env, 'VOICEMODE_EVENT_LOG_REDACT', REDACT_MODES, 'none', warn);
}

/** VOICEMODE_EVENT_LOG_DIR alone, unparsed beyond trimming (the CLI's default input). */
export function readLogDirEnv(env: Env): string | undefined {
  return text(env.VOICEMODE_EVENT_LOG_DIR);
}

function signal(env: Env, prefix: string): OtlpSignalEnv {
  const out: OtlpSignalEnv = { headers: parseOtlpHeaders(env[`${prefix}HEADERS`]) };
  const endpoint = text(env[`${prefix}ENDPOINT`]);
  if (endpoint !== undefined) out.endpoint = endpoint;
  const timeout = positive(env[`${prefix}TIMEOUT`]);
  if (timeout !== undefined) out.timeoutMs = timeout;
  return out;
}

export function readOtelEnv(env: Env): OtelEnv {
  const out: OtelEnv = {
    sdkDisabled: text(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true',
    otlp: signal(env, 'OTEL_EXPORTER_OTLP_'),
    traces: signal(env, 'OTEL_EXPORTER_OTLP_TRACES_'),
    metrics: signal(env, 'OTEL_EXPORTER_OTLP_METRICS_'),
  };
  const serviceName = text(env.OTEL_SERVICE_NAME);
  if (serviceName !== undefined) out.serviceName = serviceName;
  const queue = positive(env.OTEL_BSP_MAX_QUEUE_SIZE);
  if (queue !== undefined) out.bspMaxQueueSize = queue;
  const interval = positive(env.OTEL_METRIC_EXPORT_INTERVAL, true);
  if (interval !== undefined) out.metricExportIntervalMs = interval;
  const timeout = positive(env.OTEL_METRIC_EXPORT_TIMEOUT, true);
  if (timeout !== undefined) out.metricExportTimeoutMs = timeout;
  return out;
}

/** `port: false`: the port is set in code (or Prometheus is off), so the variable is not read. */
export function readPrometheusEnv(env: Env, warn: WarnFn, read: { port: boolean } = { port: true }): PrometheusEnv {
  const out: PrometheusEnv = {};
  const host = text(env.VOICEMODE_PROMETHEUS_HOST);
  if (host !== undefined) out.host = host;
  const raw = env.VOICEMODE_PROMETHEUS_PORT;
  if (read.port && text(raw) !== undefined) {
    const port = Number(raw);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) out.port = port;
    else warn(`VOICEMODE_PROMETHEUS_PORT=${JSON.stringify(raw)} is not a port number; no Prometheus endpoint`);
  }
  return out;
}

/** The process's environment: the one place the library touches `process.env`. */
export function processEnv(): Env {
  return process.env;
}
