import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';

/**
 * Writes a large, realistic event log for benchmarks and tests: many interleaved sessions
 * (our format with turn/trace_id/span_id, or the Python variant with `+00:00` timestamps and
 * no ids), TTS errors with a retry, `data.metrics`, unknown event types, `session_id: null`
 * events, and optionally a few malformed lines. Deterministic for a given seed.
 *
 *   node dist-bench/bench/generate-events.js OUT.jsonl [events=1000000] [--gz] [--python|--mixed]
 */
export interface GenerateOptions {
  events: number;
  seed?: number;
  /** 'ours' (default), 'python', or 'mixed' (every other session in the Python variant). */
  format?: 'ours' | 'python' | 'mixed';
  /** Sessions running at once. */
  concurrency?: number;
  /** Insert one malformed line every n events (0: none). */
  malformedEvery?: number;
  gzip?: boolean;
  startMs?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const PROVIDERS = [
  { provider: 'openai', model: 'tts-1', voice: 'alloy', base: 0.35 },
  { provider: 'kokoro', model: 'kokoro-v1', voice: 'af_sky', base: 0.12 },
  { provider: 'elevenlabs', model: 'eleven_turbo_v2', voice: 'rachel', base: 0.25 },
];

interface SessionGen {
  id: string;
  python: boolean;
  traceId: string;
  clockUs: number;
  queue: Array<{ type: string; data: Record<string, unknown>; dt: number; turn: number; span: string }>;
}

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

function pythonTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
  const micros = us % 1_000_000;
  return micros === 0 ? `${iso}+00:00` : `${iso}.${String(micros).padStart(6, '0')}+00:00`;
}

function ourTime(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`;
}

/** The events of one session, as offsets (dt in µs after the previous event). */
function planSession(r: () => number, python: boolean): SessionGen['queue'] {
  const q: SessionGen['queue'] = [];
  const p = PROVIDERS[Math.floor(r() * PROVIDERS.length)]!;
  const turns = 2 + Math.floor(r() * 6);
  const span = () => hex(r, 16);
  q.push({ type: 'SESSION_START', data: {}, dt: 0, turn: -1, span: span() });
  const tts = (turn: number, text: string): void => {
    const fail = r() < 0.03;
    for (let attempt = 1; attempt <= (fail ? 2 : 1); attempt++) {
      const s = span();
      q.push({ type: 'TTS_REQUEST', data: { text_length: text.length }, dt: 2000 + r() * 5000, turn, span: s });
      // `characters` as our writer logs it (the usage the CLI prices)
      q.push({ type: 'TTS_START', data: python ? { message: text, provider: p.provider, model: p.model, voice: p.voice, attempt } : { message: text, provider: p.provider, model: p.model, voice: p.voice, attempt, characters: text.length }, dt: 50, turn, span: s });
      if (attempt === 1 && fail) {
        q.push({ type: 'TTS_ERROR', data: { error: 'HTTP 503' }, dt: 100_000 + r() * 300_000, turn, span: s });
        continue;
      }
      const ttfa = (p.base + r() * p.base * 0.6 + (r() < 0.01 ? 3 : 0)) * 1e6;
      q.push({ type: 'TTS_FIRST_AUDIO', data: {}, dt: ttfa, turn, span: s });
      q.push({ type: 'TTS_PLAYBACK_START', data: {}, dt: 200 + r() * 2000, turn, span: s });
      const playMs = 800 + r() * 4000;
      q.push({
        type: 'TTS_PLAYBACK_END',
        data: python ? { metrics: { ttfa_ms: Math.round(ttfa / 1000), playback_ms: Math.round(playMs) } } : {},
        dt: playMs * 1000,
        turn,
        span: s,
      });
    }
  };
  tts(0, 'Hello! How can I help you today?');
  for (let t = 1; t <= turns; t++) {
    const rs = span();
    q.push({ type: 'RECORDING_START', data: { transport: 'local' }, dt: 1000 + r() * 3000, turn: t, span: rs });
    const recUs = (1 + r() * 6) * 1e6;
    q.push({ type: 'RECORDING_END', data: { duration: recUs / 1e6, samples: Math.round(recUs * 0.024) }, dt: recUs, turn: t, span: rs });
    const ss = span();
    q.push({ type: 'STT_REQUEST', data: {}, dt: 300, turn: t, span: ss });
    q.push({ type: 'STT_START', data: python ? { provider: 'whisper', model: 'base' } : { provider: 'whisper', model: 'base', audio_s: Math.round(recUs) / 1e6 }, dt: 20, turn: t, span: ss });
    q.push({ type: 'STT_COMPLETE', data: { text: 'What is the weather like?', text_length: 25 }, dt: (0.2 + r() * 0.5) * 1e6, turn: t, span: ss });
    if (!python) {
      // the LLM stage (production voicemode logs have none)
      const ls = span();
      q.push({ type: 'LLM_REQUEST', data: {}, dt: 500, turn: t, span: ls });
      q.push({ type: 'LLM_START', data: { provider: 'openai', model: 'gpt-4o-mini' }, dt: 20, turn: t, span: ls });
      q.push({ type: 'LLM_FIRST_TOKEN', data: {}, dt: (0.2 + r() * 1.3) * 1e6, turn: t, span: ls });
      const out = 20 + Math.floor(r() * 60);
      q.push({ type: 'LLM_COMPLETE', data: { text: 'It will be sunny tomorrow.', text_length: 26, input_tokens: 200 + out * 3, output_tokens: out }, dt: out * 15_000, turn: t, span: ls });
    }
    if (python && r() < 0.3) q.push({ type: 'TOOL_REQUEST_START', data: { tool: 'weather' }, dt: 1000, turn: t, span: ss });
    tts(t, 'It will be sunny tomorrow.');
  }
  q.push({ type: 'SESSION_END', data: {}, dt: 5000, turn: -1, span: q[0]!.span });
  return q;
}

export async function generateEventsFile(path: string, opts: GenerateOptions): Promise<{ events: number; sessions: number }> {
  const r = rng(opts.seed ?? 1);
  const concurrency = opts.concurrency ?? 20;
  const format = opts.format ?? 'ours';
  const file = createWriteStream(path);
  const gz = opts.gzip ? createGzip() : undefined;
  if (gz) gz.pipe(file);
  const out = gz ?? file;
  let written = 0;
  let sessions = 0;
  let t0 = (opts.startMs ?? Date.UTC(2026, 0, 5, 9)) * 1000;
  const live: SessionGen[] = [];
  const startSession = (): SessionGen => {
    const python = format === 'python' || (format === 'mixed' && sessions % 2 === 1);
    sessions++;
    t0 += Math.floor(r() * 20_000_000);
    return { id: `conv_${1767600000 + sessions}_${hex(r, 6)}`, python, traceId: hex(r, 32), clockUs: t0, queue: planSession(r, python) };
  };
  let buf: string[] = [];
  const flush = async (): Promise<void> => {
    if (!out.write(buf.join(''))) await once(out, 'drain');
    buf = [];
  };
  while (written < opts.events) {
    while (live.length < concurrency) live.push(startSession());
    // the session whose next event is earliest
    let bi = 0;
    for (let i = 1; i < live.length; i++) if (live[i]!.clockUs + live[i]!.queue[0]!.dt < live[bi]!.clockUs + live[bi]!.queue[0]!.dt) bi = i;
    const s = live[bi]!;
    const e = s.queue.shift()!;
    s.clockUs += Math.round(e.dt);
    let line: string;
    if (s.python) {
      line = JSON.stringify({ timestamp: pythonTime(s.clockUs), event_type: e.type, session_id: s.id, data: e.data });
    } else {
      line =
        `{"timestamp":"${ourTime(s.clockUs)}","event_type":"${e.type}","session_id":"${s.id}","data":${JSON.stringify(e.data)}` +
        (e.turn >= 0 ? `,"turn":${e.turn}` : '') +
        `,"trace_id":"${s.traceId}","span_id":"${e.span}"}`;
    }
    buf.push(line + '\n');
    written++;
    if (opts.malformedEvery && written % opts.malformedEvery === 0) buf.push('{"timestamp":"2026-01-05T09:00:00Z","event_type":"TTS_ST\n');
    if (written % 1000 === 0 && r() < 0.05) {
      buf.push(`{"timestamp":"${pythonTime(s.clockUs)}","event_type":"TIME_SINCE_LAST_SESSION","session_id":null,"data":{"seconds":12.5}}\n`);
    }
    if (s.queue.length === 0) live.splice(bi, 1);
    if (buf.length >= 4096) await flush();
  }
  await flush();
  out.end();
  await once(file, 'close');
  return { events: written, sessions };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const args = process.argv.slice(2);
  const path = args.find((a) => !a.startsWith('--'));
  const events = Number(args.filter((a) => !a.startsWith('--'))[1] ?? 1_000_000);
  if (!path || !Number.isFinite(events)) {
    process.stderr.write('usage: generate-events OUT.jsonl [events] [--gz] [--python|--mixed]\n');
    process.exit(2);
  }
  const format = args.includes('--python') ? 'python' : args.includes('--mixed') ? 'mixed' : 'ours';
  const res = await generateEventsFile(path, { events, gzip: args.includes('--gz'), format });
  process.stdout.write(`wrote ${res.events} events, ${res.sessions} sessions to ${path}\n`);
}
