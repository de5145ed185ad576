import { type Env, processEnv } from 'voicemode-events/internal';

/**
 * The CLI's own environment variables, read here only (the library's, such as
 * VOICEMODE_EVENT_LOG_DIR and OTEL_*, are parsed in the library's src/environment.ts).
 *
 * | variable | meaning |
 * |---|---|
 * | CI | set: no progress line on stderr |
 * | NO_COLOR | set and not empty: no colour in tables (https://no-color.org) |
 */
export function isCi(env: Env = processEnv()): boolean {
  return Boolean(env.CI);
}

export function noColor(env: Env = processEnv()): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}
