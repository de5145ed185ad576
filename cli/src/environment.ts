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
 * | VOICEMODE_EVENTS_WASM | `off` (any case): the parse workers do not use their WebAssembly stage 1 (reader/special-bytes.ts); same output, for comparisons |
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

/** VOICEMODE_EVENTS_WASM=off: the parse workers' scanner without its WebAssembly stage 1. */
export function wasmOff(env: Env = processEnv()): boolean {
  return env.VOICEMODE_EVENTS_WASM?.trim().toLowerCase() === 'off';
}
