import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, createVoiceEvents, fileNameFor } from './helpers/lib.js';
import { JsonlEventProcessor, JsonlFileWriter, JsonlSpanExporter } from './helpers/lib.js';
import { makeHarness, readLines, tempDir, type Harness } from './helpers/harness.js';

const harnesses: Harness[] = [];
function harness(...args: Parameters<typeof makeHarness>): Harness {
  const h = makeHarness(...args);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

const LINE =
  /^\{"timestamp":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z","event_type":"[A-Z][A-Z0-9_]*","session_id":("[^"]*"|null),"data":\{.*\}(,"turn":\d+)?,"trace_id":"[0-9a-f]{32}","span_id":"[0-9a-f]{16}"\}$/;

describe('line format', () => {
  it('writes exactly the spec line: keys in order, six fractional digits, Z, data always an object', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 23, 15, 30, 45) * 1000 + 123_456);
    const h = harness({ clock });
    await h.voice.session(
      async (s) => {
        clock.advanceMs(0.5);
        await s.tts({ text: 'Hello, "how" can I help?\n', voice: 'alloy', model: 'tts-1' }, async () => undefined);
      },
      { id: 'conv_1234567890' },
    );
    await h.flush();
    expect(h.files()).toEqual(['voicemode_events_2025-06-23.jsonl']);
    const raw = readFileSync(join(h.dir, h.files()[0]!), 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    const rawLines = raw.trimEnd().split('\n');
    for (const l of rawLines) expect(l).toMatch(LINE);
    expect(rawLines[0]).toMatch(/^\{"timestamp":"2025-06-23T15:30:45\.123456Z","event_type":"SESSION_START","session_id":"conv_1234567890","data":\{\},"trace_id"/);
    const start = JSON.parse(rawLines[2]!);
    expect(start.timestamp).toBe('2025-06-23T15:30:45.123956Z');
    expect(start.data).toEqual({ message: 'Hello, "how" can I help?\n', voice: 'alloy', model: 'tts-1', characters: 25 });
    expect(start.turn).toBe(0);
  });

  it('a standalone event has session_id null and no turn', async () => {
    const h = harness();
    h.voice.logEvent('TIME_SINCE_LAST_SESSION', { seconds: 3600 });
    await h.flush();
    const [line] = h.lines();
    expect(line).toMatchObject({ event_type: 'TIME_SINCE_LAST_SESSION', session_id: null, data: { seconds: 3600 } });
    expect('turn' in line!).toBe(false);
  });
});

describe('files and rotation (UTC, injected clock)', () => {
  it.each([
    ['daily', Date.UTC(2025, 11, 31, 23, 59, 59, 900), ['voicemode_events_2025-12-31.jsonl', 'voicemode_events_2026-01-01.jsonl']],
    ['hourly', Date.UTC(2026, 2, 29, 0, 59, 59, 900), ['voicemode_events_2026-03-29T00.jsonl', 'voicemode_events_2026-03-29T01.jsonl']],
    ['none', Date.UTC(2025, 11, 31, 23, 59, 59, 900), ['voicemode_events.jsonl']],
  ] as const)('%s rotation splits a session that crosses the boundary by each event’s time', async (rotation, startMs, files) => {
    const clock = new ManualClock(startMs * 1000);
    const h = harness({ clock, rotation });
    await h.voice.session(async (s) => {
      await s.tts({}, async (op) => {
        clock.advanceMs(50);
        op.firstAudio();
        clock.advanceMs(100); // past the boundary
        op.playbackStart();
      });
    });
    await h.flush();
    expect(h.files()).toEqual(files);
    const all = h.lines();
    expect(all.map((l) => l.event_type)).toEqual(['SESSION_START', 'TTS_REQUEST', 'TTS_START', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_START', 'SESSION_END']);
    if (files.length === 2) {
      // each line in the file of its own time: the first four before the boundary, the rest after
      const typesIn = (f: string) =>
        readFileSync(join(h.dir, f), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).event_type);
      expect(typesIn(files[0]!)).toEqual(['SESSION_START', 'TTS_REQUEST', 'TTS_START', 'TTS_FIRST_AUDIO']);
      expect(typesIn(files[1]!)).toEqual(['TTS_PLAYBACK_START', 'SESSION_END']);
      expect(fileNameFor(clock.nowUs(), rotation)).toBe(files[1]);
    }
  });

  it('creates the folder 0700 and the files 0600', async () => {
    const h = harness();
    h.voice.logEvent('X');
    await h.flush();
    expect(statSync(h.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(h.dir, h.files()[0]!)).mode & 0o777).toBe(0o600);
  });
});

describe('promptness and completeness', () => {
  it('an event of a still-open span (a hanging TTS) is on disk within 1 s', async () => {
    const dir = join(tempDir(), 'logs');
    const writer = new JsonlFileWriter({ dir }); // default flush interval
    const provider = new BasicTracerProvider({ spanProcessors: [new JsonlEventProcessor({ writer })] });
    const voice = createVoiceEvents({ tracer: provider.getTracer('t') });
    const s = voice.startSession();
    const t0 = performance.now();
    void s.tts({ text: 'never answers' }, () => new Promise(() => undefined));
    let seenAt = -1;
    while (performance.now() - t0 < 2000) {
      try {
        if (readFileSync(join(dir, fileNameFor(Date.now() * 1000, 'daily')), 'utf8').includes('"TTS_START"')) {
          seenAt = performance.now() - t0;
          break;
        }
      } catch {
        // not created yet
      }
      await sleep(10);
    }
    expect(seenAt).toBeGreaterThanOrEqual(0);
    expect(seenAt).toBeLessThan(1000);
    s.end();
    await provider.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 1,000-event session loses none, even with the SDK’s default limit of 128 events per span', async () => {
    const h = harness({ eventCountLimit: 128 });
    const s = h.voice.startSession();
    for (let i = 0; i < 1000; i++) s.logEvent('TOOL_REQUEST_START', { i });
    s.end();
    await h.flush();
    const lines = h.lines().filter((l) => l.event_type === 'TOOL_REQUEST_START');
    expect(lines.map((l) => (l.data as { i: number }).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const span = h.spans.getFinishedSpans()[0]!;
    expect(span.events).toHaveLength(128); // the SDK kept only the newest...
    expect(h.lines()).toHaveLength(1002); // ...the file has all, each exactly once
  });

  it('a 2-hour session with 500 turns keeps every event, in the file and on the spans', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0) * 1000);
    const h = harness({ clock });
    const s = h.voice.startSession();
    for (let turn = 0; turn < 500; turn++) {
      await s.record({}, async () => clock.advanceMs(6000));
      await s.stt({}, async () => {
        clock.advanceMs(500);
        return 'ok';
      });
      s.logEvent('TOOL_REQUEST_START');
      clock.advanceMs(300);
      await s.tts({ text: 'reply' }, async (op) => {
        clock.advanceMs(400);
        op.firstAudio();
        await op.playback(async () => clock.advanceMs(7200));
      });
    }
    s.end();
    await h.flush();
    const lines = h.lines();
    expect(lines).toHaveLength(2 + 500 * (2 + 3 + 1 + 5));
    const spans = h.spans.getFinishedSpans();
    expect(spans.reduce((n, sp) => n + sp.events.length, 0)).toBe(lines.length);
    expect(spans.every((sp) => sp.droppedEventsCount === 0)).toBe(true);
    const session = spans.find((sp) => sp.name === 'voice.session')!;
    expect(session.duration[0]).toBeGreaterThanOrEqual(2 * 3600);
    expect(h.writer.dropped).toBe(0);
  });

  it('the processor writes each event exactly once, including events other code adds to our spans', async () => {
    const h = harness();
    await h.voice.session(async (s) => {
      await s.tts({}, async (op) => {
        op.span.addEvent('USER_ADDED', { k: 'v' });
        op.firstAudio();
      });
    });
    await h.flush();
    const t = h.lines().map((l) => l.event_type);
    expect(t.filter((x) => x === 'USER_ADDED')).toHaveLength(1);
    expect(new Set(t).size).toBe(t.length);
    expect(h.lines().find((l) => l.event_type === 'USER_ADDED')!.data).toEqual({ k: 'v' });
  });
});

describe('two providers in one process, each with its own JSONL processor', () => {
  it('each writes the events of its own spans, once, and ignores the other provider\'s', async () => {
    const setup = (name: string) => {
      const dir = join(tempDir(), name);
      const processor = new JsonlEventProcessor({ dir, flushIntervalMs: 20 });
      const provider = new BasicTracerProvider({ spanProcessors: [processor] });
      return { dir, provider, voice: createVoiceEvents({ tracer: provider.getTracer(name) }) };
    };
    const a = setup('a');
    const b = setup('b');
    await a.voice.session(async (s) => s.tts({ text: 'from a' }, (op) => op.firstAudio()), { id: 'conv_a' });
    await b.voice.session(async (s) => s.logEvent('PROVIDER_SWITCH', { to: 'b' }), { id: 'conv_b' });
    await a.provider.shutdown();
    await b.provider.shutdown();
    const types = (dir: string) => readLines(dir).map((l) => `${String(l.session_id)} ${String(l.event_type)}`);
    expect(types(a.dir)).toEqual(['conv_a SESSION_START', 'conv_a TTS_REQUEST', 'conv_a TTS_START', 'conv_a TTS_FIRST_AUDIO', 'conv_a SESSION_END']);
    expect(types(b.dir)).toEqual(['conv_b SESSION_START', 'conv_b PROVIDER_SWITCH', 'conv_b SESSION_END']);
  });
});

describe('two JSONL processors on one provider', () => {
  it('both write every event exactly once', async () => {
    const dirs = [join(tempDir(), 'one'), join(tempDir(), 'two')];
    const provider = new BasicTracerProvider({ spanProcessors: dirs.map((dir) => new JsonlEventProcessor({ dir, flushIntervalMs: 20 })) });
    const voice = createVoiceEvents({ tracer: provider.getTracer('both') });
    await voice.session(async (s) => s.tts({ text: 'hi' }, (op) => op.span.addEvent('USER_ADDED')), { id: 'conv_2' });
    await provider.shutdown();
    for (const dir of dirs) {
      expect(readLines(dir).map((l) => l.event_type)).toEqual(['SESSION_START', 'TTS_REQUEST', 'TTS_START', 'USER_ADDED', 'SESSION_END']);
    }
  });
});

describe('JsonlSpanExporter alone in any pipeline', () => {
  it('writes the same lines from finished spans (nested data restored)', async () => {
    const dir = join(tempDir(), 'logs');
    const mem = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new JsonlSpanExporter({ dir, flushIntervalMs: 20 })), new SimpleSpanProcessor(mem)],
    });
    const voice = createVoiceEvents({ tracer: provider.getTracer('mine') });
    await voice.session(
      async (s) => {
        await s.tts({ text: 'hi', provider: 'openai' }, async (op) => {
          op.firstAudio();
          op.event('TTS_PLAYBACK_END', { metrics: { ttfa_ms: 412.5, generation_ms: 900 }, chunks: [1, 2, 3] });
        });
      },
      { id: 'conv_x' },
    );
    await provider.forceFlush();
    await provider.shutdown();
    const lines = readLines(dir).sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
    expect(lines.map((l) => l.event_type)).toEqual(['SESSION_START', 'TTS_REQUEST', 'TTS_START', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_END', 'SESSION_END']);
    expect(lines.every((l) => l.session_id === 'conv_x')).toBe(true);
    expect(lines[4]!.data).toEqual({ metrics: { ttfa_ms: 412.5, generation_ms: 900 }, chunks: [1, 2, 3] });
    expect(lines[2]).toMatchObject({ turn: 0, data: { message: 'hi', provider: 'openai' } });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('an unusable folder', () => {
  it('warns naming the path, never throws, keeps the events and writes them once the folder works', async () => {
    const base = tempDir();
    const dir = join(base, 'blocked');
    writeFileSync(dir, 'a file where the folder should be');
    const h = harness({ dir });
    h.voice.logEvent('FIRST');
    await h.flush();
    expect(h.warnings.some((w) => w.includes(dir) && /EEXIST|ENOTDIR/.test(w))).toBe(true);
    const warningsDuringOutage = h.warnings.length;
    h.voice.logEvent('SECOND');
    await h.flush();
    expect(h.warnings.length).toBe(warningsDuringOutage); // once per outage, not per batch
    rmSync(dir);
    await sleep(120);
    await h.flush();
    expect(h.lines().map((l) => l.event_type)).toEqual(['FIRST', 'SECOND']);
    expect(h.warnings.at(-1)).toContain('works again');
  });
});
