import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createVoiceEvents } from '../helpers/lib.js';
import { redactText } from '../../src/events/sanitize.js';
import { JsonlEventProcessor, JsonlFileWriter, JsonlSpanExporter } from '../helpers/lib.js';
import { tempDir } from '../helpers/harness.js';

/**
 * Issue #16, item 2: span events added by other code on our spans (recordException, addEvent)
 * reach the JSONL file through the same sanitizer as the API's events, in the configured mode.
 */
const TOKEN = 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.sig0123456789';
const SAID = 'my card number is four two four two';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete process.env.VOICEMODE_EVENT_LOG_REDACT;
});

function fileText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
}

/** A conversation in which other code adds events to our TTS span and session span. */
async function conversation(voice: ReturnType<typeof createVoiceEvents>): Promise<void> {
  await voice.session(async (s) => {
    s.span.addEvent('http.request', { authorization: TOKEN, 'http.url': 'https://api.example/v1/speech' });
    await s.tts({ text: SAID, provider: 'openai' }, async (op) => {
      op.span.recordException(new Error(`upstream said: ${SAID}`));
      op.span.addEvent('debug', { transcript: SAID, 'nested.password': 'hunter2', 'nested.note': SAID });
    });
  });
}

describe('span events added by other code are sanitised like ours', () => {
  for (const how of ['option', 'env'] as const) {
    it(`JsonlEventProcessor, redact all (${how}): no secret, no transcript in the file`, async () => {
      const dir = join(tempDir(), 'logs');
      dirs.push(dir);
      if (how === 'env') process.env.VOICEMODE_EVENT_LOG_REDACT = 'all';
      const writer = new JsonlFileWriter({ dir, rotation: 'daily', flushIntervalMs: 20 });
      const jsonl = new JsonlEventProcessor(how === 'option' ? { writer, redact: 'all' } : { writer });
      const provider = new BasicTracerProvider({ spanProcessors: [jsonl] });
      await conversation(createVoiceEvents({ tracer: provider.getTracer('t'), redact: 'all' }));
      await provider.forceFlush();
      await provider.shutdown();
      const text = fileText(dir);
      const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; data: Record<string, unknown> });
      expect(lines.map((l) => l.event_type)).toEqual(expect.arrayContaining(['http.request', 'exception', 'debug', 'TTS_START']));
      expect(text).not.toContain('four two');
      expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
      expect(text).not.toContain('hunter2');
      const debug = lines.find((l) => l.event_type === 'debug')!;
      expect(debug.data).toEqual({ transcript: redactText(SAID), nested: { password: '[REDACTED]', note: redactText(SAID) } });
      const exception = lines.find((l) => l.event_type === 'exception')!.data.exception as Record<string, unknown>;
      expect(exception.type).toBe(redactText('Error')); // not a label: in mode all every free string goes
      expect(exception.message).toBe(redactText(`upstream said: ${SAID}`));
    });
  }

  it('JsonlEventProcessor, redact none: the secret key is still hidden, what was said kept', async () => {
    const dir = join(tempDir(), 'logs');
    dirs.push(dir);
    const writer = new JsonlFileWriter({ dir, rotation: 'daily', flushIntervalMs: 20 });
    const provider = new BasicTracerProvider({ spanProcessors: [new JsonlEventProcessor({ writer, redact: 'none' })] });
    await conversation(createVoiceEvents({ tracer: provider.getTracer('t'), redact: 'none' }));
    await provider.shutdown();
    const text = fileText(dir);
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(text).not.toContain('hunter2');
    expect(text).toContain(SAID);
  });

  it('JsonlSpanExporter, redact text: other code\'s events redacted; ours written exactly as the live sink writes them (sanitising twice changes nothing)', async () => {
    const live = join(tempDir(), 'live');
    const exported = join(tempDir(), 'exported');
    dirs.push(live, exported);
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new JsonlEventProcessor({ writer: new JsonlFileWriter({ dir: live, rotation: 'daily', flushIntervalMs: 20 }), redact: 'text' }),
        new SimpleSpanProcessor(new JsonlSpanExporter({ dir: exported, flushIntervalMs: 20, redact: 'text' })),
      ],
    });
    const voice = createVoiceEvents({ tracer: provider.getTracer('t'), redact: 'text' });
    await voice.session(async (s) => {
      await s.tts({ text: SAID, provider: 'openai' }, async (op) => {
        op.event('TTS_PLAYBACK_END', { long: 'x'.repeat(20_000), many: Array.from({ length: 1500 }, (_, i) => `w${i}`) });
        op.span.addEvent('debug', { transcript: SAID });
      });
    });
    await provider.forceFlush();
    await provider.shutdown();
    const byType = (dir: string): Map<string, Record<string, unknown>> =>
      new Map(
        fileText(dir)
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { event_type: string; data: Record<string, unknown> })
          .map((l) => [l.event_type, l.data]),
      );
    const a = byType(live);
    const b = byType(exported);
    expect(fileText(exported)).not.toContain('four two');
    for (const type of ['TTS_START', 'TTS_PLAYBACK_END', 'debug']) expect(b.get(type), type).toEqual(a.get(type));
    expect(a.get('TTS_START')!.message).toBe(redactText(SAID));
  });
});
