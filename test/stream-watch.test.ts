import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveEvents, SPAN_LLM, SPAN_TTS } from './helpers/lib.js';
import { makeHarness, type Harness } from './helpers/harness.js';

/**
 * What a watched stream must keep (op.stream() and the stream a callback returns): the order
 * of our events against the source's and the consumer's steps, in every way a stream can go.
 * Recorded from the async-generator implementation these replaced, so the pass-through
 * iterators (operation-base.ts, watchStream) keep every behaviour.
 */
let h: Harness;
let log: string[];
let off: () => void;
beforeEach(() => {
  h = makeHarness();
  log = [];
  off = liveEvents.add((_span, record) => log.push(record.eventType));
});
afterEach(async () => {
  off();
  await h.cleanup();
});

/** A source that logs its steps; `failAt` rejects that next() (or throws from it with `sync`). */
function source(n: number, opts: { failAt?: number; sync?: boolean; promises?: boolean } = {}): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]() {
      log.push('src.open');
      let i = 0;
      return {
        next(): Promise<IteratorResult<unknown>> {
          log.push(`src.next`);
          if (opts.failAt === i) {
            if (opts.sync) throw new Error('sync boom');
            return Promise.reject(new Error('boom'));
          }
          if (i >= n) return Promise.resolve({ done: true, value: 'source-return-value' });
          const v = `c${i++}`;
          return Promise.resolve({ done: false, value: opts.promises ? Promise.resolve(v) : v });
        },
        return(): Promise<IteratorResult<unknown>> {
          log.push('src.return');
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}

async function consume(stream: AsyncIterable<unknown>, stopAfter = Infinity): Promise<void> {
  let k = 0;
  for await (const c of stream) {
    log.push(`got ${String(c)}`);
    if (++k >= stopAfter) break;
  }
}

const spanOf = (name: string) => h.spans.getFinishedSpans().find((s) => s.name === name)!;

describe('op.stream (TTS, played as it arrives)', () => {
  it('marks first audio and playback before the consumer gets chunk 1, playback end when the source is done', async () => {
    await h.voice.tts({ text: 'x' }, async (op) => consume(op.stream(source(2), { playback: true })));
    expect(log).toEqual([
      'TTS_REQUEST', 'TTS_START', 'src.open', 'src.next', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_START', 'got c0',
      'src.next', 'got c1', 'src.next', 'TTS_PLAYBACK_END',
    ]);
  });

  it('a consumer that stops early closes the source, then ends the playback', async () => {
    await h.voice.tts({ text: 'x' }, async (op) => consume(op.stream(source(5), { playback: true }), 1));
    expect(log).toEqual(['TTS_REQUEST', 'TTS_START', 'src.open', 'src.next', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_START', 'got c0', 'src.return', 'TTS_PLAYBACK_END']);
  });

  it('a source that fails ends the playback, and the operation fails with its error', async () => {
    await expect(h.voice.tts({ text: 'x' }, async (op) => consume(op.stream(source(5, { failAt: 1 }), { playback: true })))).rejects.toThrow('boom');
    expect(log).toEqual(['TTS_REQUEST', 'TTS_START', 'src.open', 'src.next', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_START', 'got c0', 'src.next', 'TTS_PLAYBACK_END', 'TTS_ERROR']);
  });

  it('without playback only the first audio is marked', async () => {
    await h.voice.tts({ text: 'x' }, async (op) => consume(op.stream(source(2))));
    expect(log).toEqual(['TTS_REQUEST', 'TTS_START', 'src.open', 'src.next', 'TTS_FIRST_AUDIO', 'got c0', 'src.next', 'got c1', 'src.next']);
  });
});

describe('a stream the callback returns (the operation lasts as long as the stream)', () => {
  it('completes when the source is done, before the consumer sees the end', async () => {
    await consume(h.voice.llm({}, () => source(2)));
    log.push('consumer done');
    expect(log).toEqual(['LLM_REQUEST', 'LLM_START', 'src.open', 'src.next', 'LLM_FIRST_TOKEN', 'got c0', 'src.next', 'got c1', 'src.next', 'LLM_COMPLETE', 'consumer done']);
    await h.flush();
    expect(h.lines().find((l) => l.event_type === 'LLM_COMPLETE')!.data).toMatchObject({ text: 'c0c1' });
  });

  it('a consumer that stops early: the source is closed, then the span ends marked cancelled', async () => {
    await consume(h.voice.llm({}, () => source(5)), 2);
    expect(log).toEqual(['LLM_REQUEST', 'LLM_START', 'src.open', 'src.next', 'LLM_FIRST_TOKEN', 'got c0', 'src.next', 'got c1', 'src.return']);
    expect(spanOf(SPAN_LLM).attributes['voice.cancelled']).toBe(true);
  });

  it('a source that rejects: LLM_ERROR, the error reaches the consumer unchanged', async () => {
    await expect(consume(h.voice.llm({}, () => source(5, { failAt: 2 })))).rejects.toThrow('boom');
    expect(log).toEqual(['LLM_REQUEST', 'LLM_START', 'src.open', 'src.next', 'LLM_FIRST_TOKEN', 'got c0', 'src.next', 'got c1', 'src.next', 'LLM_ERROR']);
    expect(spanOf(SPAN_LLM).attributes['voice.cancelled']).toBeUndefined();
  });

  it('a source whose next() throws: the same as a rejection', async () => {
    await expect(consume(h.voice.llm({}, () => source(5, { failAt: 1, sync: true })))).rejects.toThrow('sync boom');
    expect(log).toEqual(['LLM_REQUEST', 'LLM_START', 'src.open', 'src.next', 'LLM_FIRST_TOKEN', 'got c0', 'src.next', 'LLM_ERROR']);
  });

  it('a source that yields promises: the consumer gets their values', async () => {
    await consume(h.voice.tts({ text: 'x' }, () => source(2, { promises: true })));
    expect(log.filter((l) => l.startsWith('got'))).toEqual(['got c0', 'got c1']);
  });

  it('a thenable chunk that is not a promise is awaited too; audio and strings pass as they are', async () => {
    const audio = new Uint8Array([1, 2, 3]);
    const thenable = { then: (resolve: (v: string) => void) => resolve('from thenable') };
    async function* mixed(): AsyncGenerator<unknown> {
      yield thenable;
      yield audio;
      yield 'text';
    }
    const got: unknown[] = [];
    for await (const c of h.voice.tts({ text: 'x' }, () => mixed())) got.push(c);
    expect(got).toEqual(['from thenable', audio, 'text']);
    expect(got[1]).toBe(audio);
  });

  it('after the end, next() keeps answering done with no value; the source is not asked again', async () => {
    const it = h.voice.llm({}, () => source(1))[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 'c0' });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(log.filter((l) => l === 'src.next')).toHaveLength(2);
  });

  it('next() called twice without waiting gives the chunks in order', async () => {
    const it = h.voice.llm({}, () => source(3))[Symbol.asyncIterator]();
    const [a, b] = await Promise.all([it.next(), it.next()]);
    expect([a.value, b.value]).toEqual(['c0', 'c1']);
    await it.return!();
    expect(log.filter((l) => l.startsWith('LLM_'))).toEqual(['LLM_REQUEST', 'LLM_START', 'LLM_FIRST_TOKEN']);
    expect(spanOf(SPAN_LLM).attributes['voice.cancelled']).toBe(true);
  });

  it('a TTS callback returning op.stream(...): chunks reported once, playback marked, the operation ends with the stream', async () => {
    await consume(h.voice.tts({ text: 'x' }, (op) => op.stream(source(2), { playback: true })));
    expect(log).toEqual([
      'TTS_REQUEST', 'TTS_START', 'src.open', 'src.next', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_START', 'got c0',
      'src.next', 'got c1', 'src.next', 'TTS_PLAYBACK_END',
    ]);
    expect(spanOf(SPAN_TTS).ended).toBe(true);
  });
});
