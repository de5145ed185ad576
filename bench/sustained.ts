import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, tempDir, yieldToLoop } from './harness.js';
import { jsonlFiles, startOurs, startPino } from './subjects.js';

/**
 * Item 2: sustained events per second until every line is on disk and verified complete.
 * Each subject logs `events` events as fast as the caller can (in chunks of `chunk` calls per
 * event-loop turn, so the writer gets its turns as in an app), then waits until its sink
 * says everything is written (ours: forceFlush; pino: end() and 'close'). The clock stops
 * there; then the file is read back: the run counts only if every line parses and every
 * event is there exactly once (by its sequence number).
 */

export interface SustainedOptions {
  events: number;
  repetitions: number;
  chunk: number;
  perSpan: number;
}

export interface SustainedResult {
  events_per_sec: number;
  pino_events_per_sec: number;
  sustained_events: number;
  lines_verified: boolean;
}

/** Every `n` must appear once as data.n (ours) or n (pino) among the lines, all parseable. */
function verify(files: string[], n: number, pick: (o: Record<string, unknown>) => unknown): boolean {
  const seen = new Uint8Array(n);
  let count = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) return false;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const o = JSON.parse(line) as Record<string, unknown>; // throws on a torn line
      const seq = pick(o);
      if (typeof seq !== 'number') continue; // session / operation events around them
      if (seq < 0 || seq >= n || seen[seq]) return false;
      seen[seq] = 1;
      count++;
    }
  }
  return count === n;
}

async function runOurs(opts: SustainedOptions): Promise<{ perSec: number; ok: boolean }> {
  const tmp = tempDir('sustained-ours');
  const ours = startOurs(join(tmp.dir, 'logs'));
  try {
    const t0 = performance.now();
    await ours.telemetry.voice.session(async (s) => {
      for (let done = 0; done < opts.events; ) {
        await s.tts({ text: 'hello', provider: 'openai', voice: 'alloy' }, async () => {
          const end = Math.min(opts.events, done + opts.perSpan);
          while (done < end) {
            const stop = Math.min(end, done + opts.chunk);
            for (; done < stop; done++) s.logEvent('PROVIDER_SWITCH', { n: done, from: 'openai', to: 'kokoro' });
            await yieldToLoop();
          }
        });
      }
    });
    await ours.telemetry.forceFlush();
    const sec = (performance.now() - t0) / 1000;
    await ours.shutdown();
    const ok = verify(jsonlFiles(ours.dir), opts.events, (o) =>
      o.event_type === 'PROVIDER_SWITCH' ? (o.data as { n?: unknown }).n : undefined,
    );
    return { perSec: opts.events / sec, ok };
  } finally {
    tmp.remove();
  }
}

async function runPino(opts: SustainedOptions): Promise<{ perSec: number; ok: boolean }> {
  const tmp = tempDir('sustained-pino');
  const file = join(tmp.dir, 'pino.log');
  const p = startPino(file);
  try {
    const t0 = performance.now();
    for (let done = 0; done < opts.events; ) {
      const stop = Math.min(opts.events, done + opts.chunk);
      for (; done < stop; done++) {
        p.logger.info({ event_type: 'PROVIDER_SWITCH', session_id: 'conv_1', n: done, data: { from: 'openai', to: 'kokoro' } });
      }
      await yieldToLoop();
    }
    await p.close();
    const sec = (performance.now() - t0) / 1000;
    const ok = verify([file], opts.events, (o) => o.n);
    return { perSec: opts.events / sec, ok };
  } finally {
    tmp.remove();
  }
}

export async function measureSustained(opts: SustainedOptions): Promise<SustainedResult> {
  // Warm-up of both at a tenth of the size, then alternating repetitions.
  const warm = { ...opts, events: Math.max(1000, Math.floor(opts.events / 10)) };
  await runOurs(warm);
  await runPino(warm);
  const ours: number[] = [];
  const pino: number[] = [];
  let ok = true;
  for (let r = 0; r < opts.repetitions; r++) {
    const a = await runOurs(opts);
    const b = await runPino(opts);
    ours.push(a.perSec);
    pino.push(b.perSec);
    ok &&= a.ok && b.ok;
  }
  return { events_per_sec: median(ours), pino_events_per_sec: median(pino), sustained_events: opts.events, lines_verified: ok };
}
