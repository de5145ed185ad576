import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { liveSamples, type MetricSample, type Session, type Turn } from '../helpers/lib.js';
import { makeHarness, type Harness } from '../helpers/harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

/** One step of an app using the API in any order, including the wrong one. */
const step = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), nested: fc.boolean() }),
  fc.record({ kind: fc.constant('end' as const), which: fc.nat(5) }),
  fc.record({ kind: fc.constant('turnStart' as const), which: fc.nat(5) }),
  fc.record({ kind: fc.constant('turnEnd' as const), which: fc.nat(5) }),
  fc.record({
    kind: fc.constant('op' as const),
    which: fc.nat(5),
    op: fc.constantFrom('tts', 'record', 'stt'),
    outcome: fc.constantFrom('ok', 'throw', 'empty', 'stream', 'streamThrow'),
    onTurn: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('log' as const), which: fc.nat(5), type: fc.constantFrom('TTS_START', 'TTS_FIRST_AUDIO', 'RECORDING_END', 'SESSION_END', 'CUSTOM_X') }),
  fc.record({ kind: fc.constant('free' as const), type: fc.constantFrom('TTS_START', 'RECORDING_END', 'TTS_FIRST_AUDIO') }),
);

async function runOp(host: Session | Turn, op: 'tts' | 'record' | 'stt', outcome: string): Promise<void> {
  const fail = () => {
    throw new Error('provider failed');
  };
  try {
    if (outcome === 'stream' || outcome === 'streamThrow') {
      const it = host.tts({ text: 'x' }, () =>
        (async function* () {
          yield 1;
          if (outcome === 'streamThrow') fail();
          yield 2;
        })(),
      );
      for await (const _ of it) void _;
      return;
    }
    const fn = outcome === 'throw' ? fail : () => (outcome === 'empty' ? '' : 'text');
    if (op === 'tts') await host.tts({ text: 'x' }, fn);
    else if (op === 'record') await host.record({}, fn);
    else await host.stt({}, fn);
  } catch (err) {
    // only the app's own error may come back, unchanged
    expect((err as Error).message).toBe('provider failed');
  }
}

describe('random sequences of API calls', () => {
  it('never throw into the app (except the programming-error TypeError) and never give a negative metric', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const h = makeHarness();
        harnesses.push(h);
        const samples: MetricSample[] = [];
        const off = liveSamples.add((s) => samples.push(s));
        const sessions: Session[] = [];
        const turns: Turn[] = [];
        const pick = <T>(xs: T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);
        try {
          for (const s of steps) {
            switch (s.kind) {
              case 'start':
                if (s.nested && sessions.length) await h.voice.session(async (inner) => void sessions.push(inner));
                else sessions.push(h.voice.startSession());
                break;
              case 'end':
                pick(sessions, s.which)?.end();
                break;
              case 'turnStart': {
                const session = pick(sessions, s.which);
                if (session) turns.push(session.startTurn());
                break;
              }
              case 'turnEnd':
                pick(turns, s.which)?.end();
                break;
              case 'op': {
                const host = s.onTurn ? pick(turns, s.which) : pick(sessions, s.which);
                await runOp(host ?? sessions[0] ?? h.voice.startSession(), s.op, s.outcome);
                break;
              }
              case 'log':
                pick(sessions, s.which)?.logEvent(s.type);
                break;
              case 'free':
                h.voice.logEvent(s.type);
                break;
            }
          }
          for (const s of sessions) s.end();
          await h.flush();
        } finally {
          off();
        }
        for (const sample of samples) expect(sample.seconds).toBeGreaterThanOrEqual(0);
        for (const line of h.lines()) expect(typeof line.event_type).toBe('string');
        const ended = new Set(h.lines().filter((l) => l.event_type === 'SESSION_END' && (l.data as { reason?: string }).reason).map((l) => l.session_id));
        for (const s of sessions) expect(ended.has(s.id)).toBe(true);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
