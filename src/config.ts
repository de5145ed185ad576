import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeValue } from './events/safe-json.js';
import { REDACT_MODES, type RedactMode } from './events/sanitize.js';
import { warnOnce, type Warn } from './warn.js';

/**
 * Configuration exactly as the spec names it. Options passed in code override the
 * environment; the environment overrides the defaults.
 *
 * | variable                      | default            | values                         |
 * | VOICEMODE_EVENT_LOG_DIR       | ~/voicemode_logs   | a folder                       |
 * | VOICEMODE_EVENT_LOG_ENABLED   | true               | true/false/1/0/yes/no          |
 * | VOICEMODE_EVENT_LOG_ROTATION  | daily              | daily, hourly, none            |
 * | VOICEMODE_EVENT_LOG_REDACT    | none               | none, text, all                |
 */
export type Rotation = 'daily' | 'hourly' | 'none';
export const ROTATIONS: readonly Rotation[] = ['daily', 'hourly', 'none'];

export interface EventLogOptions {
  /** Folder for the JSONL files. */
  dir?: string;
  /** false turns the JSONL sink off (spans still flow to other exporters). */
  enabled?: boolean;
  rotation?: Rotation;
  /** Longest time an event waits in memory before it is written. Default 200 ms (well within 1 s). */
  flushIntervalMs?: number;
  /** Redaction of event data (`none`, `text`, `all`); default VOICEMODE_EVENT_LOG_REDACT, else none. The sink applies it to span events added by other code too. */
  redact?: RedactMode;
}

export interface EventLogConfig {
  dir: string;
  enabled: boolean;
  rotation: Rotation;
  flushIntervalMs: number;
  redact: RedactMode;
}

export const DEFAULT_FLUSH_INTERVAL_MS = 200;

// Warnings: one reporter for the whole library (warn.ts); re-exported where they always were.
export { warnOnce, warnStderr, type Warn } from './warn.js';

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** Parses a boolean env value; anything unrecognised warns once and keeps the default. */
export function parseBooleanEnv(name: string, raw: string | undefined, fallback: boolean, warn: Warn = warnOnce): boolean {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  warn(`${name}=${JSON.stringify(raw)} is not one of true/false/1/0/yes/no; using the default (${fallback})`);
  return fallback;
}

function parseRotation(raw: string | undefined, warn: Warn): Rotation {
  if (raw === undefined || raw.trim() === '') return 'daily';
  const v = raw.trim().toLowerCase();
  if ((ROTATIONS as readonly string[]).includes(v)) return v as Rotation;
  warn(`VOICEMODE_EVENT_LOG_ROTATION=${JSON.stringify(raw)} is not one of ${ROTATIONS.join('/')}; using daily`);
  return 'daily';
}

/** VOICEMODE_EVENT_LOG_REDACT: none (default), text or all; anything else warns once and keeps none. */
export function resolveRedactMode(env: NodeJS.ProcessEnv, warn: Warn = warnOnce): RedactMode {
  const raw = env.VOICEMODE_EVENT_LOG_REDACT;
  if (raw === undefined || raw.trim() === '') return 'none';
  const v = raw.trim().toLowerCase();
  if ((REDACT_MODES as readonly string[]).includes(v)) return v as RedactMode;
  warn(`VOICEMODE_EVENT_LOG_REDACT=${JSON.stringify(raw)} is not one of ${REDACT_MODES.join('/')}; using none`);
  return 'none';
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

export const DEFAULT_LOG_DIR = '~/voicemode_logs';
/** voicemode's (the production writer's) default folder, read by the CLI beside the spec's. */
export const VOICEMODE_LOG_DIR = '~/.voicemode/logs/events';

/**
 * The folders the CLI reads when given no path: $VOICEMODE_EVENT_LOG_DIR when set, else both
 * the spec's and voicemode's default folders (the caller keeps those that exist).
 */
export function defaultReadDirs(env: NodeJS.ProcessEnv = process.env): { dirs: string[]; fromEnv: boolean } {
  const fromEnv = env.VOICEMODE_EVENT_LOG_DIR?.trim();
  if (fromEnv) return { dirs: [resolve(expandHome(fromEnv))], fromEnv: true };
  return { dirs: [DEFAULT_LOG_DIR, VOICEMODE_LOG_DIR].map((d) => resolve(expandHome(d))), fromEnv: false };
}

export function resolveConfig(
  options: EventLogOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  warn: Warn = warnOnce,
): EventLogConfig {
  const dir = options.dir ?? (env.VOICEMODE_EVENT_LOG_DIR?.trim() || DEFAULT_LOG_DIR);
  const enabled = options.enabled ?? parseBooleanEnv('VOICEMODE_EVENT_LOG_ENABLED', env.VOICEMODE_EVENT_LOG_ENABLED, true, warn);
  const rotation = options.rotation ?? parseRotation(env.VOICEMODE_EVENT_LOG_ROTATION, warn);
  if (options.rotation !== undefined && !ROTATIONS.includes(options.rotation)) {
    throw new TypeError(`voicemode-events: rotation must be one of ${ROTATIONS.join(', ')}, got ${describeValue(options.rotation)}`);
  }
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  if (!(flushIntervalMs > 0 && flushIntervalMs <= 60_000)) {
    throw new TypeError(`voicemode-events: flushIntervalMs must be between 0 and 60000, got ${flushIntervalMs}`);
  }
  if (options.redact !== undefined && !REDACT_MODES.includes(options.redact)) {
    throw new TypeError(`voicemode-events: redact must be one of ${REDACT_MODES.join(', ')}, got ${describeValue(options.redact)}`);
  }
  const redact = options.redact ?? resolveRedactMode(env, warn);
  return { dir: resolve(expandHome(dir)), enabled, rotation, flushIntervalMs, redact };
}

/** The file an event belongs to: the naming rule lives in sink/log-file-name.ts (kept here under its old name). */
export { logFileName as fileNameFor } from './sink/log-file-name.js';
