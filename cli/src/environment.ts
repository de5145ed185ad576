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
 * | VOICEMODE_EVENTS_WASM | `off` (any case): the parse workers use no WebAssembly (neither stage 1, reader/special-bytes.ts, nor stage 2, reader/scan-wasm.ts); `stage1`: stage 1 only; `stage2`: both stages, one call per line (the module writes no batch rows); same output, for comparisons |
 * | NODE_OPTIONS | Node's own: read (not parsed) by heap-growth.ts, which leaves V8 heap flags given there alone |
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

/** VOICEMODE_EVENTS_WASM=stage1 (or off): the parse workers' scanner without its WebAssembly stage 2. */
export function wasmStage2Off(env: Env = processEnv()): boolean {
  const v = env.VOICEMODE_EVENTS_WASM?.trim().toLowerCase();
  return v === 'off' || v === 'stage1';
}

/** VOICEMODE_EVENTS_WASM=stage2 (or stage1, off): stage 2 scans one line per call and writes no batch rows (reader/parse-worker.ts Batch.runLines). */
export function wasmRowsOff(env: Env = processEnv()): boolean {
  const v = env.VOICEMODE_EVENTS_WASM?.trim().toLowerCase();
  return v === 'off' || v === 'stage1' || v === 'stage2';
}

/** NODE_OPTIONS as Node was given it (heap-growth.ts: a V8 heap flag there is the user's choice). */
export function nodeOptions(env: Env = processEnv()): string {
  return env.NODE_OPTIONS ?? '';
}
