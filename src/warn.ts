/**
 * The one warning reporter of the library (the sink, the instrumentation's internal errors,
 * configuration, exports). Every component takes `warn` from its options and falls back to
 * `defaultWarn`:
 *
 * - When the app has set up OpenTelemetry's diagnostics (`diag.setLogger(...)`), warnings go
 *   there (`diag.warn`, prefixed `voicemode-events: `), with the app's other OTel diagnostics
 *   and under its log level.
 * - Otherwise (the default: no diag logger is registered, so `diag.warn` would print nothing)
 *   they go to stderr as `voicemode-events: warning: ...`: a logging library must not fail in
 *   silence (a full disk, a folder others can read).
 *
 * Warnings are given on the library's own turns of the event loop or inside calls that must
 * never throw into the app: a reporter that throws is ignored (`reporter()` wraps it).
 * Repeats are the caller's business (once per outage, `onceEach` for once per message).
 */
export type Warn = (message: string) => void;

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * A message as we print it: control characters other than newline and tab made visible
 * (`\x1b`), since messages quote what the app or a file gave (an error's message, a path), and
 * an ESC or `\r` would act on the user's terminal.
 */
export function printable(message: string): string {
  return message.replace(UNPRINTABLE, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * What a thrown value says, for a report; never throws (a getter that throws, a revoked Proxy,
 * a toString that throws). `stack`: an Error's stack (for our own faults); else its name and
 * the first line of its message (the app's errors: not their stacks).
 */
export function errorText(err: unknown, stack: boolean): string {
  try {
    if (err instanceof Error) {
      if (stack && typeof err.stack === 'string') return err.stack;
      const name = typeof err.name === 'string' ? err.name : 'Error';
      const message = typeof err.message === 'string' ? (err.message.split('\n', 1)[0] ?? '').slice(0, 200) : '';
      return message ? `${name}: ${message}` : name;
    }
    if (typeof err === 'string') return err.slice(0, 200);
    if (typeof err === 'number' || typeof err === 'boolean' || typeof err === 'bigint') return String(err);
  } catch {
    // unreadable: say what it is
  }
  return typeof err;
}

/** Warnings on stderr with a recognisable prefix (the CLI's messages, and defaultWarn without diag). */
export const warnStderr: Warn = (message) => {
  try {
    process.stderr.write(`voicemode-events: warning: ${printable(message)}\n`);
  } catch {
    // stderr closed: nothing better to do, and logging must not throw.
  }
};

/**
 * The API keeps its globals (tracer provider, diag logger, ...) under this symbol, one per major
 * version, so that every copy of `@opentelemetry/api` 1.x in an app shares them. The API has no
 * call that says whether a diag logger is set (`diag.warn` without one does nothing).
 */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

interface DiagSink {
  warn(message: string): void;
  info(message: string): void;
}

/**
 * The diag logger the app registered (`diag.setLogger`, already filtered by its level), read
 * from the API's globals: calling it is what `diag.warn` does, without importing the API here
 * (~18 ms at the CLI's start, which shares this module).
 */
function registeredDiag(): DiagSink | undefined {
  const globals = (globalThis as Record<symbol, { diag?: Partial<DiagSink> } | undefined>)[API_GLOBALS];
  const d = globals?.diag;
  return d !== undefined && typeof d.warn === 'function' && typeof d.info === 'function' ? (d as DiagSink) : undefined;
}

/** True when the app registered a diag logger (`diag.setLogger`). */
export function diagLoggerSet(): boolean {
  return registeredDiag() !== undefined;
}

/** diag when the app set up a diag logger, else stderr. */
export const defaultWarn: Warn = (message) => {
  const d = registeredDiag();
  if (d === undefined) {
    warnStderr(message);
    return;
  }
  try {
    d.warn(`voicemode-events: ${printable(message)}`);
  } catch {
    // the app's diag logger threw: a warning must never become the app's exception
  }
};

/** A line saying things are fine again (not a warning): diag.info with a logger, else stderr. */
export const defaultNotice: Warn = (message) => {
  const d = registeredDiag();
  if (d !== undefined) {
    try {
      d.info(`voicemode-events: ${printable(message)}`);
    } catch {
      // as in defaultWarn
    }
    return;
  }
  try {
    process.stderr.write(`voicemode-events: ${printable(message)}\n`);
  } catch {
    // stderr closed
  }
};

/** The reporter for a component: the user's `warn` (a throw in it ignored), else `defaultWarn`. */
export function reporter(warn: Warn | undefined): Warn {
  if (warn === undefined || warn === defaultWarn) return defaultWarn;
  const cached = safeReporters.get(warn);
  if (cached !== undefined) return cached;
  const safe: Warn = (message) => {
    try {
      warn(message);
    } catch {
      // nothing sensible left to do with it
    }
  };
  safeReporters.set(warn, safe);
  safeReporters.set(safe, safe);
  return safe;
}
const safeReporters = new WeakMap<Warn, Warn>();

/** Each distinct message once per reporter (configuration problems, internal errors); never throws. */
export function onceEach(warn: Warn | undefined): Warn {
  const base = reporter(warn);
  const cached = onceReporters.get(base);
  if (cached !== undefined) return cached;
  const said = new Set<string>();
  const once: Warn = (message) => {
    if (said.has(message)) return;
    said.add(message);
    base(message);
  };
  onceReporters.set(base, once);
  return once;
}
const onceReporters = new WeakMap<Warn, Warn>();

/** The default reporter, each message once per process. */
export const warnOnce: Warn = onceEach(undefined);
