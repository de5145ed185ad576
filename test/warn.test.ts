import { diag, DiagLogLevel, type Context, type DiagLogger, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createVoiceEvents } from '../src/index.js';
import { startTelemetry } from '../src/sdk/telemetry.js';
import { JsonlFileWriter } from '../src/sink/jsonl-file-writer.js';
import { JsonlEventProcessor } from '../src/sink/jsonl-processor.js';
import { systemClock, type Clock } from '../src/time/clock.js';
import { defaultWarn, diagLoggerSet } from '../src/warn.js';
import { tempDir } from './helpers/harness.js';

/** A clock that throws once told to: reported once through options.warn (time/guarded-clock.ts), never thrown into the app. */
function brittleClock(): Clock & { broken: boolean } {
  const c = { broken: false, nowUs: () => (c.broken ? (() => { throw new Error('clock broke'); })() : systemClock.nowUs()) };
  return c;
}

/** A tracer whose spans' addEvent throws once told to: emitPrepared's fault path (an internal error, never thrown into the app). */
function brittleTracer(base: Tracer): Tracer & { broken: boolean } {
  const t = {
    broken: false,
    startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
      const span = base.startSpan(name, options, ctx);
      return new Proxy(span, {
        get(target, key) {
          if (key === 'addEvent' && t.broken) return () => { throw new Error('addEvent broke'); };
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
    startActiveSpan: base.startActiveSpan.bind(base),
  };
  return t as Tracer & { broken: boolean };
}

/** What the code under test writes to stderr while `fn` runs. */
async function stderrOf(fn: () => Promise<void> | void): Promise<string> {
  const original = process.stderr.write;
  let out = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return out;
}

afterEach(() => diag.disable());

describe('options.warn is honoured everywhere', () => {
  it('createVoiceEvents({ warn }): internal errors (instrument/core.ts), a failing clock and an invalid session id reach it, once each', async () => {
    const warnings: string[] = [];
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
    const clock = brittleClock();
    const tracer = brittleTracer(provider.getTracer('t'));
    const voice = createVoiceEvents({ tracer, clock, warn: (m) => warnings.push(m) });
    const s = voice.startSession({ id: '' });
    clock.broken = true;
    tracer.broken = true;
    const stderr = await stderrOf(() => {
      for (let i = 0; i < 3; i++) s.logEvent('PROVIDER_SWITCH', {}); // never throws into the app
    });
    clock.broken = false;
    tracer.broken = false;
    s.end();
    expect(warnings.filter((w) => w.includes('is not a non-empty string'))).toHaveLength(1);
    expect(warnings.filter((w) => w.startsWith('options.clock.nowUs() threw Error: clock broke'))).toHaveLength(1);
    expect(warnings.filter((w) => w.startsWith('internal error (the app continues): Error: addEvent broke'))).toHaveLength(1);
    expect(stderr).toBe(''); // nothing to the default reporter
    await provider.shutdown();
  });

  it('JsonlEventProcessor({ warn }): the event-limit warning and its own writer\'s warnings reach it', async () => {
    const warnings: string[] = [];
    const root = tempDir();
    const dir = join(root, 'a-file');
    writeFileSync(dir, ''); // the log folder is a file: writing fails
    const jsonl = new JsonlEventProcessor({ dir, flushIntervalMs: 20, warn: (m) => warnings.push(m) });
    const provider = new TracerProvider({ spanProcessors: [jsonl], spanLimits: { eventCountLimit: 2 } });
    const voice = createVoiceEvents({ tracer: provider.getTracer('t') });
    const stderr = await stderrOf(async () => {
      await voice.session(async (s) => {
        for (let i = 0; i < 5; i++) s.logEvent('PROVIDER_SWITCH', { i });
      });
      await provider.forceFlush();
    });
    expect(warnings.some((w) => /span voice\.session kept only the last 2 of its events/.test(w))).toBe(true);
    expect(warnings.some((w) => w.startsWith(`cannot write events to ${dir}/`))).toBe(true);
    expect(stderr).toBe('');
    await provider.shutdown();
  });

  it('startTelemetry({ warn }): configuration problems, the sink and a failing clock reach it', async () => {
    const warnings: string[] = [];
    const root = tempDir();
    const dir = join(root, 'a-file');
    writeFileSync(dir, '');
    const clock = brittleClock();
    const t = startTelemetry({
      dir,
      flushIntervalMs: 20,
      clock,
      register: false,
      handleExit: false,
      metrics: false,
      env: { VOICEMODE_EVENT_LOG_ROTATION: 'weekly', VOICEMODE_EVENT_LOG_RETENTION_DAYS: 'soon' },
      warn: (m) => warnings.push(m),
    });
    const stderr = await stderrOf(async () => {
      const s = t.voice.startSession();
      s.logEvent('PROVIDER_SWITCH', {});
      clock.broken = true;
      s.logEvent('PROVIDER_SWITCH', {});
      clock.broken = false;
      s.end();
      await t.forceFlush();
      await t.shutdown();
    });
    expect(warnings.some((w) => w.startsWith('VOICEMODE_EVENT_LOG_ROTATION="weekly"'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('VOICEMODE_EVENT_LOG_RETENTION_DAYS="soon"'))).toBe(true);
    expect(warnings.filter((w) => w.startsWith('options.clock.nowUs() threw Error: clock broke'))).toHaveLength(1);
    expect(warnings.some((w) => w.startsWith(`cannot write events to ${dir}/`))).toBe(true);
    expect(stderr).toBe('');
  });
});

describe('the default reporter', () => {
  it('prints control characters visibly (a message may quote an app error or a path), newlines and tabs kept', async () => {
    expect(diagLoggerSet()).toBe(false);
    const out = await stderrOf(() => defaultWarn('title \u001b]0;pwned\u0007 cr\r del\u007f c1\u009b\n\tat x'));
    expect(out).toBe('voicemode-events: warning: title \\x1b]0;pwned\\x07 cr\\x0d del\\x7f c1\\x9b\n\tat x\n');
  });

  it('is stderr while the app has no diag logger, and OTel diag once it sets one', async () => {
    expect(diagLoggerSet()).toBe(false);
    const seen: string[] = [];
    const logger: DiagLogger = {
      error: (m) => seen.push(`error ${m}`),
      warn: (m) => seen.push(`warn ${m}`),
      info: (m) => seen.push(`info ${m}`),
      debug: () => undefined,
      verbose: () => undefined,
    };
    expect(await stderrOf(() => defaultWarn('first'))).toBe('voicemode-events: warning: first\n');
    diag.setLogger(logger, DiagLogLevel.WARN);
    expect(diagLoggerSet()).toBe(true);
    expect(await stderrOf(() => defaultWarn('second'))).toBe('');
    expect(seen).toEqual(['warn voicemode-events: second']);
    diag.disable();
    expect(diagLoggerSet()).toBe(false);
    expect(await stderrOf(() => defaultWarn('third'))).toBe('voicemode-events: warning: third\n');
  });

  it('a writer without options.warn reports its outage through diag when set', async () => {
    const seen: string[] = [];
    diag.setLogger({ error: () => undefined, warn: (m) => seen.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
    const dir = join(tempDir(), 'a-file');
    writeFileSync(dir, '');
    const w = new JsonlFileWriter({ dir, flushIntervalMs: 20 });
    w.write({ timestampUs: Date.now() * 1000, eventType: 'E', sessionId: null, data: {} });
    const stderr = await stderrOf(() => w.flush());
    expect(seen.some((m) => m.startsWith(`voicemode-events: cannot write events to ${dir}/`))).toBe(true);
    expect(stderr).toBe('');
    diag.disable();
    await stderrOf(() => w.shutdown());
  });
});
