import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Small, explicit measuring tools. Per-call costs here are 0.1–5 µs, so every call is
 * timed on its own with `performance.now()` (sub-nanosecond resolution in Node, ~30 ns to
 * read), the timer's own cost (calibrated the same way) is subtracted, and percentiles are
 * taken over all calls of a repetition. Timing every call is what makes p99 honest: a GC
 * pause or a slow path lands in the sample of the call that paid for it.
 */

export { yieldToLoop };

/** The value at quantile q (0..1) of already sorted numbers (nearest rank). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Cost of one `performance.now()` pair, in ns (median of many), subtracted from every sample. */
export function timerOverheadNs(samples = 200_000): number {
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    out[i] = performance.now() - t0;
  }
  out.sort();
  return quantileSorted(out, 0.5) * 1e6;
}

/**
 * Per-call samples (ns) of `call`, run `count` times in chunks of `chunk` calls, yielding to
 * the event loop between chunks so that asynchronous work the calls schedule (file writes,
 * pino's async destination) runs as in a real app, outside the timed calls.
 */
export class CallTimer {
  private readonly samples: Float64Array;
  private n = 0;

  constructor(
    capacity: number,
    private readonly overheadNs: number,
  ) {
    this.samples = new Float64Array(capacity);
  }

  /** Times `count` calls synchronously; `call(i)` gets a running index. */
  run(count: number, call: (i: number) => void, offset = 0): void {
    const s = this.samples;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      call(offset + i);
      const dt = performance.now() - t0;
      if (this.n < s.length) s[this.n++] = dt;
    }
  }

  /** Times one asynchronous call, from the call until its promise settles (a whole voice turn). */
  async runAsync(call: () => Promise<unknown>): Promise<void> {
    const t0 = performance.now();
    await call();
    const dt = performance.now() - t0;
    if (this.n < this.samples.length) this.samples[this.n++] = dt;
  }

  /** p50 and p99 in ns of the calls timed so far (timer cost subtracted, never below 0). */
  stats(): { p50: number; p99: number } {
    const s = this.samples.subarray(0, this.n).sort();
    const ns = (q: number): number => Math.max(0, quantileSorted(s, q) * 1e6 - this.overheadNs);
    return { p50: ns(0.5), p99: ns(0.99) };
  }
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `vme-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Realistic small event payload (the same values go to every peer). */
export function payload(i: number): Record<string, unknown> {
  return { provider: 'openai', model: 'tts-1', chunk: i, bytes: 4096, ok: true };
}
