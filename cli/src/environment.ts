import { type Env, processEnv } from 'voicemode-events/internal';

/**
 * The CLI's own environment variables, read here only (the library's, such as
 * VOICEMODE_EVENT_LOG_DIR and OTEL_*, are parsed in the library's src/environment.ts).
 *
 * | variable | meaning |
 * |---|---|
 * | CI | set: no progress line on stderr |
 * | NO_COLOR | set and not empty: no colour in tables (https://no-color.org) |
 * | VOICEMODE_PRICES | path of the price table when `--prices` is not given (summary, report, demo) |
 */
export function isCi(env: Env = processEnv()): boolean {
  return Boolean(env.CI);
}

export function noColor(env: Env = processEnv()): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

/** The price table's path from VOICEMODE_PRICES (blank: none). */
export function pricesPath(env: Env = processEnv()): string | undefined {
  return env.VOICEMODE_PRICES?.trim() || undefined;
}
