import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLogger, type TtsOperation, SPAN_RECORDING, SPAN_SESSION, SPAN_STT, SPAN_TTS, SPAN_TURN, hrTimeToUs, parseTimestampUs } from './helpers/lib.js';
import { expectAllowedTree, makeHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.cleanup();
});

async function* chunks(n: number, delayMs = 1): AsyncGenerator<string> {
  for (let i = 0; i < n; i++) {
    await sleep(delayMs);
    yield `chunk${i}`;
  }
}

const types = (lines: Record<string, unknown>[]) => lines.map((l) => l.event_type);

describe('sessions, turns and operations as spans', () => {
  it('a full conversation gives the spec events on the right spans, in a valid tree', async () => {
    const metrics = await h.voice.session(async (s) => {
      await s.tts({ text: 'Hello!', provider: 'openai', voice: 'alloy', model: 'tts-1' }, async (op) => {
        for await (const _c of op.stream(chunks(3))) op.playbackStart();
        op.playbackEnd();
      });
      await s.record({ transport: 'local' }, async (op) => {
        await sleep(5);
        op.set({ samples: 16000 });
        op.saved('/tmp/rec.wav');
      });
      const text = await s.stt({ provider: 'whisper' }, async () => 'what time is it');
      expect(text).toBe('what time is it');
      await s.tts({ text: 'Noon.', provider: 'openai' }, (op) => op.playback(() => sleep(2)));
      return s.metrics();
    });
    await h.flush();
    const spans = h.spans.getFinishedSpans();
    expectAllowedTree(spans);
    expect(spans.map((s) => s.name).sort()).toEqual(
      [SPAN_SESSION, SPAN_TURN, SPAN_TURN, SPAN_TTS, SPAN_TTS, SPAN_RECORDING, SPAN_STT].sort(),
    );
    const lines = h.lines();
    expect(types(lines)).toEqual([
      'SESSION_START',
      'TTS_REQUEST',
      'TTS_START',
      'TTS_FIRST_AUDIO',
      'TTS_PLAYBACK_START',
      'TTS_PLAYBACK_END',
      'RECORDING_START',
      'RECORDING_SAVED',
      'RECORDING_END',
      'STT_REQUEST',
      'STT_START',
      'STT_COMPLETE',
      'TTS_REQUEST',
      'TTS_START',
      'TTS_PLAYBACK_START',
      'TTS_PLAYBACK_END',
      'SESSION_END',
    ]);
    // turn 0 is the assistant's opening; the recording opened turn 1, which the reply joins
    expect(lines.filter((l) => l.event_type === 'TTS_START').map((l) => l.turn)).toEqual([0, 1]);
    expect(lines.find((l) => l.event_type === 'RECORDING_END')!.data).toMatchObject({ samples: 16000 });
    // `duration` in seconds, the key production voicemode writes and its viewer reads
    expect((lines.find((l) => l.event_type === 'RECORDING_END')!.data as { duration: number }).duration).toBeGreaterThan(0.004);
    expect(lines.find((l) => l.event_type === 'RECORDING_SAVED')!.data).toEqual({ path: '/tmp/rec.wav' });
    expect(lines.find((l) => l.event_type === 'STT_COMPLETE')!.data).toEqual({ text: 'what time is it', text_length: 15 });
    expect(lines.find((l) => l.event_type === 'TTS_START')!.data).toEqual({ message: 'Hello!', provider: 'openai', voice: 'alloy', model: 'tts-1', characters: 6 });
    expect(metrics.metrics.ttfa?.count).toBe(1);
    expect(metrics.metrics.response_time?.count).toBe(1);
    expect(metrics.metrics.voice_to_voice?.count).toBe(1);

    // every line's event is on the span its span_id names, at the same microsecond
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    for (const line of lines) {
      const span = byId.get(line.span_id as string)!;
      expect(span.spanContext().traceId).toBe(line.trace_id);
      const match = span.events.filter((e) => e.name === line.event_type && hrTimeToUs(e.time) === parseTimestampUs(line.timestamp as string));
      expect(match, `${line.event_type} on ${span.name}`).toHaveLength(1);
    }
    // span attributes for Jaeger
    const tts = spans.find((s) => s.name === SPAN_TTS && s.attributes['voice.voice'] === 'alloy')!;
    expect(tts.attributes).toMatchObject({ 'session.id': lines[0]!.session_id, 'turn.number': 0, 'voice.provider': 'openai', 'voice.text_length': 6 });
  });

  it('span and event times are microsecond-precise and come from one clock', async () => {
    await h.voice.session(async (s) => {
      await s.tts({ text: 'x' }, async (op) => op.firstAudio());
    });
    await h.flush();
    const spans = h.spans.getFinishedSpans();
    const all = spans.flatMap((s) => [s.startTime, s.endTime, ...s.events.map((e) => e.time)]).map(hrTimeToUs);
    expect(all.some((us) => us % 1000 !== 0)).toBe(true);
    for (const s of spans) expect(hrTimeToUs(s.endTime)).toBeGreaterThanOrEqual(hrTimeToUs(s.startTime));
    const session = spans.find((s) => s.name === SPAN_SESSION)!;
    for (const s of spans) {
      expect(hrTimeToUs(s.startTime)).toBeGreaterThanOrEqual(hrTimeToUs(session.startTime));
      expect(hrTimeToUs(s.endTime)).toBeLessThanOrEqual(hrTimeToUs(session.endTime));
    }
  });

  it('explicit turns are numbered from 1 and group their operations; the handle form works across callbacks', async () => {
    const s = h.voice.startSession({ id: 'call-42', data: { caller: 'test' } });
    const t1 = s.startTurn();
    await t1.record({}, () => sleep(1));
    await t1.stt({}, () => 'hi');
    await t1.tts({ text: 'hello' }, async () => undefined);
    const tm = t1.end();
    expect(tm.turn).toBe(1);
    await s.turn(async (t2) => {
      expect(t2.number).toBe(2);
      await s.record({}, () => sleep(1)); // called on the session inside the turn: joins the turn
    });
    const m = s.end();
    expect(m.sessionId).toBe('call-42');
    expect(m.turns).toBe(3);
    expect(s.end()).toBe(m); // idempotent
    await h.flush();
    const lines = h.lines();
    expect(lines.every((l) => l.session_id === 'call-42')).toBe(true);
    expect(lines[0]!.data).toEqual({ caller: 'test' });
    expect(lines.at(-1)).toMatchObject({ event_type: 'SESSION_END', data: { reason: 'completed', turns: 3 } });
    expect(lines.filter((l) => l.event_type === 'RECORDING_START').map((l) => l.turn)).toEqual([1, 2]);
    expectAllowedTree(h.spans.getFinishedSpans());
  });

  it('the automatic turn rule: a recording opens the next turn, STT and TTS join it', async () => {
    await h.voice.session(async (s) => {
      await s.record({}, () => undefined);
      await s.stt({}, () => 'a');
      await s.tts({}, () => undefined);
      await s.record({}, () => undefined);
      await s.stt({}, () => '');
      await s.record({}, () => undefined);
    });
    await h.flush();
    const turns = h.spans.getFinishedSpans().filter((s) => s.name === SPAN_TURN).map((s) => s.attributes['turn.number']);
    expect(turns.sort()).toEqual([1, 2, 3]);
    expect(h.lines().filter((l) => String(l.event_type).endsWith('_START')).map((l) => [l.event_type, l.turn])).toEqual([
      ['SESSION_START', undefined],
      ['RECORDING_START', 1],
      ['STT_START', 1],
      ['TTS_START', 1],
      ['RECORDING_START', 2],
      ['STT_START', 2],
      ['RECORDING_START', 3],
    ]);
  });
});

describe('errors', () => {
  it.each([
    ['tts', 'TTS_ERROR'],
    ['record', 'RECORDING_ERROR'],
    ['stt', 'STT_ERROR'],
  ] as const)('%s: *_ERROR with type and message, status ERROR, the same error rethrown', async (kind, eventType) => {
    class ProviderDown extends Error {
      override name = 'ProviderDown';
    }
    const original = new ProviderDown('503 from provider');
    let caught: unknown;
    await h.voice.session(async (s) => {
      try {
        await (s[kind] as (i: object, fn: () => Promise<never>) => Promise<unknown>)({}, async () => {
          await sleep(1);
          throw original;
        });
      } catch (err) {
        caught = err;
      }
    });
    expect(caught).toBe(original);
    await h.flush();
    const err = h.lines().find((l) => l.event_type === eventType)!;
    expect(err.data).toEqual({ error_type: 'ProviderDown', error_message: '503 from provider' });
    const span = h.spans.getFinishedSpans().find((s) => s.spanContext().spanId === err.span_id)!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: '503 from provider' });
    expect(span.attributes['error.type']).toBe('ProviderDown');
  });

  it('a synchronous throw and a throwing stream are handled the same way', async () => {
    const boom = new TypeError('bad');
    await expect(h.voice.tts({}, () => { throw boom; })).rejects.toBe(boom);
    const stream = h.voice.tts({}, () =>
      (async function* () {
        yield 1;
        throw boom;
      })(),
    );
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c);
      })(),
    ).rejects.toBe(boom);
    expect(seen).toEqual([1]);
    await h.flush();
    expect(types(h.lines())).toEqual(['TTS_REQUEST', 'TTS_START', 'TTS_ERROR', 'TTS_REQUEST', 'TTS_START', 'TTS_FIRST_AUDIO', 'TTS_ERROR']);
    expect(h.lines().every((l) => l.session_id === null)).toBe(true);
  });

  it('a session whose callback throws ends with reason "error" and rethrows', async () => {
    const boom = new Error('llm failed');
    await expect(h.voice.session(async () => { throw boom; })).rejects.toBe(boom);
    await h.flush();
    expect(h.lines().at(-1)).toMatchObject({ event_type: 'SESSION_END', data: { reason: 'error', error_type: 'Error' } });
  });
});

describe('streams and STT results', () => {
  it('a TTS that returns an async iterable gets TTS_FIRST_AUDIO on the first chunk and ends when consumed', async () => {
    const got: string[] = [];
    await h.voice.session(async (s) => {
      for await (const c of s.tts({ text: 'hey' }, () => chunks(4))) got.push(c);
    });
    await h.flush();
    expect(got).toHaveLength(4);
    const l = h.lines();
    expect(types(l).filter((t) => t === 'TTS_FIRST_AUDIO')).toHaveLength(1);
    expect(h.spans.getFinishedSpans().find((s) => s.name === SPAN_TTS)!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('an event logged on an operation after its callback returned is still written', async () => {
    let late: TtsOperation | undefined;
    await h.voice.tts({}, async (op) => {
      late = op;
    });
    late!.firstAudio();
    late!.event('LATE_MARK');
    await h.flush();
    expect(types(h.lines())).toEqual(['TTS_REQUEST', 'TTS_START', 'TTS_FIRST_AUDIO', 'LATE_MARK']);
  });

  it('a consumer that stops early ends the span marked cancelled', async () => {
    for await (const _c of h.voice.tts({}, () => chunks(10))) break;
    await h.flush();
    const span = h.spans.getFinishedSpans().find((s) => s.name === SPAN_TTS)!;
    expect(span.attributes['voice.cancelled']).toBe(true);
  });

  it.each([
    ['', 'STT_NO_SPEECH'],
    ['   ', 'STT_NO_SPEECH'],
    [null, 'STT_NO_SPEECH'],
    [{ text: '' }, 'STT_NO_SPEECH'],
    [{ text: 'yes' }, 'STT_COMPLETE'],
    ['yes', 'STT_COMPLETE'],
  ])('STT result %j gives %s', async (result, eventType) => {
    const r = await h.voice.stt({}, () => result);
    expect(r).toBe(result);
    await h.flush();
    expect(types(h.lines()).at(-1)).toBe(eventType);
  });
});

describe('concurrency and routing', () => {
  it('interleaved concurrent sessions never mix their events', async () => {
    const run = (id: string, delays: number[]) =>
      h.voice.session(
        async (s) => {
          for (const d of delays) {
            await s.record({}, () => sleep(d));
            await s.stt({}, async () => {
              await sleep(d);
              h.voice.logEvent('TOOL_REQUEST_START', { who: id }); // found through async context
              return id;
            });
            await s.tts({ text: id }, async (op) => {
              await sleep(d);
              op.firstAudio();
            });
          }
        },
        { id },
      );
    await Promise.all([run('A', [3, 1, 4, 1]), run('B', [2, 7, 1, 8]), run('C', [5, 2, 2, 3])]);
    await h.flush();
    const lines = h.lines();
    for (const id of ['A', 'B', 'C']) {
      const mine = lines.filter((l) => l.session_id === id);
      expect(mine).toHaveLength(1 + 4 * 9 + 1); // per round: 2 recording + 4 STT (incl. the tool event) + 3 TTS
      expect(mine.filter((l) => l.event_type === 'TOOL_REQUEST_START').every((l) => (l.data as { who: string }).who === id)).toBe(true);
      expect(mine.filter((l) => l.event_type === 'STT_COMPLETE').every((l) => (l.data as { text: string }).text === id)).toBe(true);
      const traceIds = new Set(mine.map((l) => l.trace_id));
      expect(traceIds.size).toBe(1);
    }
    // interleaved for real: the file does not hold the sessions one after the other
    const order = lines.map((l) => l.session_id).join('');
    expect(order).not.toMatch(/^A+B+C+$|^A+C+B+$|^B+A+C+$|^B+C+A+$|^C+A+B+$|^C+B+A+$/);
    expectAllowedTree(h.spans.getFinishedSpans());
  });

  it('logEvent lands on the innermost running span, the session span, or a voice.event span outside', async () => {
    h.voice.logEvent('TRANSPORT_SWITCH', { to: 'livekit' });
    await h.voice.session(async (s) => {
      h.voice.logEvent('PROVIDER_SWITCH');
      await s.tts({}, async () => h.voice.logEvent('CUSTOM_MARK'));
    });
    await h.flush();
    const spans = h.spans.getFinishedSpans();
    const spanOf = (t: string) => spans.find((s) => s.spanContext().spanId === h.lines().find((l) => l.event_type === t)!.span_id)!.name;
    expect(spanOf('TRANSPORT_SWITCH')).toBe('voice.event');
    expect(h.lines()[0]!.session_id).toBeNull();
    expect(spanOf('PROVIDER_SWITCH')).toBe(SPAN_SESSION);
    expect(spanOf('CUSTOM_MARK')).toBe(SPAN_TTS);
  });

  it('throws a TypeError for an invalid event type, and nothing else throws', async () => {
    expect(() => h.voice.logEvent('not valid')).toThrow(TypeError);
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    await h.voice.session(async (s) => {
      expect(() => s.logEvent('ODD_DATA', { big: 10n ** 30n, circular, fn: () => 1, sym: Symbol('x'), nan: NaN, undef: undefined })).not.toThrow();
      expect(() => s.end()).not.toThrow();
      expect(() => s.logEvent('AFTER_END')).not.toThrow();
    });
    await h.flush();
    expect(h.lines().filter((l) => l.event_type === 'AFTER_END')).toHaveLength(1); // too late for the span, not lost
    const odd = h.lines().find((l) => l.event_type === 'ODD_DATA')!;
    expect(odd.data).toMatchObject({ big: '1000000000000000000000000000000', circular: { a: 1, self: '[Circular]' } });
  });
});

describe('EventLogger, the spec-compatible facade', () => {
  it('startSession / logEvent / endSession returns positive metrics in seconds', async () => {
    const logger = new EventLogger({ voice: h.voice });
    expect(logger.endSession()).toBeNull();
    logger.startSession('conv_1');
    logger.logEvent('TTS_START', { message: 'hi', voice: 'alloy' });
    await sleep(20);
    logger.logEvent('TTS_FIRST_AUDIO');
    logger.logEvent('RECORDING_START');
    await sleep(20);
    logger.logEvent('RECORDING_END');
    await sleep(10);
    logger.logEvent('TTS_START');
    const m = logger.endSession()!;
    expect(Object.keys(m).sort()).toEqual(['recording_duration', 'response_time', 'ttfa']);
    expect(m.ttfa).toBeGreaterThanOrEqual(0.019);
    expect(m.response_time).toBeGreaterThanOrEqual(0.009);
    expect(m.response_time).toBeLessThan(m.recording_duration! + m.ttfa!);
    expect(logger.sessionId).toBeNull();
    await h.flush();
    expect(types(h.lines())).toEqual(['SESSION_START', 'TTS_START', 'TTS_FIRST_AUDIO', 'RECORDING_START', 'RECORDING_END', 'TTS_START', 'SESSION_END']);
    expect(h.lines().every((l) => l.session_id === 'conv_1')).toBe(true);
  });

  it('generates spec-style unique session ids', () => {
    const a = h.voice.startSession();
    const b = h.voice.startSession();
    expect(a.id).toMatch(/^conv_\d{13}_[0-9a-f]{6}$/);
    expect(a.id).not.toBe(b.id);
    a.end();
    b.end();
  });
});

describe('operations outside a session', () => {
  it('leave nothing open behind them: a TTS without first audio is counted incomplete, not kept', async () => {
    for (let i = 0; i < 200; i++) await h.voice.tts({ text: 'speak only' }, () => 'no audio reported');
    // internal look: the deriver for events outside sessions must not grow with the number of calls
    const orphan = (h.voice as unknown as { core: { orphanDeriver: { totals: { incomplete: { ttfa: number } }; heldStarts: number; sessions: Map<unknown, { open: Map<string, unknown> }> } } }).core.orphanDeriver;
    expect(orphan.heldStarts).toBe(0);
    // operations without open starts are deleted in batches (derive.ts, EMPTY_OPS_SWEEP = 32), never kept for good
    for (const st of orphan.sessions.values()) expect(st.open.size).toBeLessThanOrEqual(32);
    expect(orphan.totals.incomplete.ttfa).toBe(200);
  });
});
