import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
// the built reader: its parse workers run dist/reader/parse-worker.js
import { parseWorkersFor, readEvents } from '../../dist/reader/read-events.js';
import { discoverFiles } from '../../dist/reader/discover.js';
import { SessionSorter } from '../../dist/reader/session-sorter.js';
import { Analyzer } from '../../dist/analysis/analyzer.js';
import { parsePriceTable } from '../../dist/analysis/prices.js';
import type { FileEvent } from '../../src/reader/parse-line.js';
import type { ReadStats } from '../../src/reader/read-events.js';

/**
 * The compact reader (parse workers, byte scanner, chunks dealt out to several workers) must
 * give what the in-thread reader gives: the same events with the same fields and line numbers,
 * the same malformed lines, and so the same analysis, whatever the number of workers.
 */
let dir: string;
let plain: string;
let gz: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vme-workers-'));
  const gen = join(dir, 'gen.jsonl');
  await generateEventsFile(gen, { events: 30_000, format: 'mixed', malformedEvery: 997 });
  const lines = readFileSync(gen, 'utf8').split('\n');
  // odd lines spread over the file (some land near the 1 MiB chunk boundaries)
  const odd = [
    '',
    '   ',
    '{"timestamp":"2026-01-05T09:00:01.000000Z","event_type":"TTS_START","session_id":"cönv_ü","data":{"provider":"ök"},"span_id":"s\\u0031"}\r',
    '{"timestamp":"2026-01-05T09:00:01Z","event_type":"TTS_FIRST_AUDIO","session_id":"cönv_ü","span_id":"s1","turn":1.0}',
    '{"timestamp":"2026-01-05T09:00:02Z","event\\u005ftype":"RECORDING_START","session_id":"x\\"y","data":{"transp\\u006frt":"web"}}',
    '{"timestamp":"2026-01-05T09:00:02Z","event_type":"X","event_type":"RECORDING_END","session_id":"x\\"y","data":null}',
    '{"timestamp":"2026-01-05T09:00:03Z","event_type":"STT_START"',
    '\ufeff{"timestamp":"2026-01-05T09:00:03Z","event_type":"STT_START"}',
    '[1,2,3]',
    // usage figures on the reference path (an escape in a needed field), a duplicate key, odd values
    '{"timestamp":"2026-01-05T09:00:04Z","event_type":"TTS_START","session_id":"s\\u0032","data":{"provider":"openai","model":"tts-1","characters":12,"characters":40},"span_id":"t9"}',
    '{"timestamp":"2026-01-05T09:00:04Z","event_type":"LLM_COMPLETE","session_id":"s2","data":{"input_tokens":1e2,"output_tokens":-0.0,"characters":true}}',
    '{"timestamp":"2026-01-05T09:00:05Z","event_type":"STT_START","session_id":"s2","data":{"provider":"whisper","audio_s":"3.5","input_tokens":7},"span_id":"u1"}',
    '{"timestamp":"2026-01-05T09:00:05Z","event_type":"TTS_START","session_id":"s2","data":{"provider":"openai","characters":12,"characters":null},"turn":2,"span_id":"u2"}',
  ];
  const out: string[] = [];
  lines.forEach((l, i) => {
    out.push(l);
    if (i % 1531 === 7) out.push(odd[(i / 1531) % odd.length | 0]!);
  });
  plain = join(dir, 'voicemode_events_2026-01-05.jsonl');
  const text = out.join('\n'); // no final newline: the last line is still read
  writeFileSync(plain, text);
  gz = join(dir, 'voicemode_events_2026-01-06.jsonl.gz');
  writeFileSync(gz, gzipSync(text));
  expect(text.length).toBeGreaterThan(3 * (1 << 20)); // several chunks
}, 60_000);

const USAGE_TYPES = ['TTS_START', 'STT_START', 'LLM_COMPLETE'];
/** Prices for some of the generator's models (others unpriced): the analysis compared includes cost. */
const PRICES = parsePriceTable(
  { date: '2026-11-30', prices: { openai: { 'tts-1': { per_1m_characters: 15 }, 'gpt-4o-mini': { per_1m_input_tokens: 0.15, per_1m_output_tokens: 0.6 } }, whisper: { '*': { per_audio_minute: 0.006 } } } },
  'test',
);

interface Run {
  events: unknown[];
  skipped: number[];
  stats: ReadStats;
  analysis: string;
}

async function run(path: string | string[], compact: boolean, parseWorkers?: number, workerTableReset?: number): Promise<Run> {
  const files = await discoverFiles(typeof path === 'string' ? [path] : path);
  const events: unknown[] = [];
  const skipped: number[] = [];
  const analyzer = new Analyzer({ by: 'provider', prices: PRICES });
  const sorter = new SessionSorter((evs: FileEvent[]) => analyzer.addSession(evs));
  const stats = await readEvents(
    files,
    (ev: FileEvent) => {
      const labels: Record<string, unknown> = {};
      for (const k of ['provider', 'model', 'voice', 'transport']) if (typeof ev.data[k] === 'string') labels[k] = ev.data[k];
      // usage figures: the compact reader hands them over beside data (FileEvent.usage)
      const figures = (ev.usage ?? ev.data) as Record<string, unknown>;
      // NaN: a figure the line does not have (FileEvent.usage holds one for every key)
      const usage = ['characters', 'audio_s', 'input_tokens', 'output_tokens'].map((k) => (typeof figures[k] === 'number' && !Number.isNaN(figures[k]) ? figures[k] : null));
      events.push([ev.timestampUs, ev.eventType, ev.sessionId, ev.turn, ev.spanId, ev.line, labels, ...(USAGE_TYPES.includes(ev.eventType) ? usage : [])]);
      analyzer.observe(ev);
      sorter.push(ev);
    },
    { compact, parseWorkers, workerTableReset, onSkip: (_f: number, line: number) => skipped.push(line) },
  );
  sorter.finish();
  const a = analyzer.finish();
  const { store: _store, ...rest } = a;
  return { events, skipped, stats, analysis: JSON.stringify(rest) };
}

describe('compact reader: parse workers agree with the in-thread reader', () => {
  it('plain file: 1, 2 and 3 workers give the in-thread events, skipped lines and analysis', async () => {
    const ref = await run(plain, false);
    expect(ref.skipped.length).toBeGreaterThan(30);
    // the usage and cost compared below are real: every stage has figures, some models no price
    const usage = JSON.parse(ref.analysis).usage;
    expect(usage.tts.characters).toBeGreaterThan(0);
    expect(usage.stt.audio_s).toBeGreaterThan(0);
    expect(usage.llm.output_tokens).toBeGreaterThan(0);
    expect(JSON.parse(ref.analysis).cost.unpriced.length).toBeGreaterThan(0);
    expect(ref.events.length).toBeGreaterThan(30_000);
    for (const w of [1, 2, 3]) {
      const got = await run(plain, true, w);
      expect(got.skipped).toEqual(ref.skipped);
      // the workers' stage 1 marked the file (the in-thread reader has none); all else equal
      expect(ref.stats.markedBytes).toBe(0);
      expect(got.stats.markedBytes).toBeGreaterThan(0);
      expect({ ...got.stats, markedBytes: 0, parseWorkers: 0 }).toEqual(ref.stats);
      expect(got.stats.parseWorkers).toBe(w); // one file: its own workers
      expect(got.events).toEqual(ref.events);
      expect(got.analysis).toBe(ref.analysis);
    }
  }, 60_000);

  it('workers that start their string tables afresh often (every 16 strings) give the same', async () => {
    const ref = await run(plain, false);
    for (const w of [1, 2]) {
      const got = await run(plain, true, w, 16);
      expect(got.events).toEqual(ref.events);
      expect(got.analysis).toBe(ref.analysis);
    }
    const refGz = await run(gz, false);
    const gotGz = await run(gz, true, 1, 16);
    expect(gotGz.events).toEqual(refGz.events);
    expect(gotGz.analysis).toBe(refGz.analysis);
  }, 60_000);

  it('gzip file: the worker gives the in-thread events', async () => {
    const ref = await run(gz, false);
    const got = await run(gz, true, 2);
    expect(got.skipped).toEqual(ref.skipped);
    expect(got.events).toEqual(ref.events);
    expect(got.analysis).toBe(ref.analysis);
  }, 60_000);
});

describe('parse workers per file', () => {
  it('a worker reading into one reused buffer: lines at the same offsets of each chunk keep their own ids', async () => {
    // 256-byte lines: every 1 MiB chunk starts on a line, and each line sits at the same buffer
    // offset as its twin in the chunk before; each chunk has its own session and span ids. A
    // memo (the last session or span id, stage 1's marks) that outlived its chunk's bytes would
    // give a chunk the ids of the one before (a mutant that reused the chunk's view did).
    const perChunk = (1 << 20) / 256;
    const lines: string[] = [];
    for (let c = 0; c < 5; c++) {
      for (let i = 0; i < perChunk; i++) {
        const head = `{"timestamp":"2026-01-07T10:00:00.${String(c * perChunk + i).padStart(6, '0')}Z","event_type":"TTS_START","session_id":"chunk_${c}","span_id":"span_${c}","data":{"provider":"p${c}","pad":"`;
        lines.push(`${head}${'x'.repeat(255 - head.length - 3)}"}}`);
      }
    }
    expect(lines.every((l) => l.length === 255)).toBe(true);
    const path = join(dir, 'voicemode_events_2026-01-07.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const ref = await run(path, false);
    const sessions = new Set(ref.events.map((e) => (e as unknown[])[2]));
    expect(sessions.size).toBe(5);
    for (const w of [1, 2]) expect((await run(path, true, w)).events).toEqual(ref.events);
  }, 60_000);

  it('takes a second worker only when about three cores are free (the main thread needs one)', () => {
    expect(parseWorkersFor(2, 0)).toBe(1); // a quiet 2-core machine: the main thread and one worker
    expect(parseWorkersFor(4, 0.4)).toBe(2);
    expect(parseWorkersFor(4, 1.4)).toBe(2); // three cores free
    expect(parseWorkersFor(4, 2)).toBe(1);
    expect(parseWorkersFor(2, 1)).toBe(1); // another job holds one core
    expect(parseWorkersFor(2, 12)).toBe(1);
    expect(parseWorkersFor(8, 5)).toBe(2);
    expect(parseWorkersFor(1, 0)).toBe(1);
  });
});

describe('parse workers across files (parse-worker-pool.ts)', () => {
  /** The generated lines cut into `parts` files named by day, in a folder of their own; optionally every file gzipped. */
  function splitInto(name: string, parts: number, gzip = false): string {
    const folder = join(dir, name);
    mkdirSync(folder);
    const lines = readFileSync(plain, 'utf8').split('\n');
    const per = Math.ceil(lines.length / parts);
    for (let p = 0; p < parts; p++) {
      const text = `${lines.slice(p * per, (p + 1) * per).join('\n')}\n`;
      const day = String(p + 1).padStart(2, '0');
      if (gzip) writeFileSync(join(folder, `voicemode_events_2026-02-${day}.jsonl.gz`), gzipSync(text));
      else writeFileSync(join(folder, `voicemode_events_2026-02-${day}.jsonl`), text);
    }
    return folder;
  }

  it('a folder of 12 files is read by the same worker(s), file after file, with the in-thread events', async () => {
    const folder = splitInto('twelve', 12);
    const ref = await run(folder, false);
    expect(ref.stats.files).toBe(12);
    for (const w of [1, 2]) {
      const got = await run(folder, true, w);
      expect(got.events).toEqual(ref.events);
      expect(got.skipped).toEqual(ref.skipped);
      expect(got.analysis).toBe(ref.analysis);
      // each file is ~0.3 MB: one chunk, one worker, whatever `w`; and that worker serves all 12
      expect(got.stats.parseWorkers).toBe(1);
    }
    // string tables started afresh often, across files: the reader's copy stays in step
    const reset = await run(folder, true, 1, 16);
    expect(reset.events).toEqual(ref.events);
    expect(reset.stats.parseWorkers).toBe(1);
  }, 60_000);

  it('files of several chunks read by two workers each: the second worker is waited for, not replaced', async () => {
    // the plain file (3+ MiB) and a copy of it a day later: two workers each, one after the other
    const folder = join(dir, 'two-big');
    mkdirSync(folder);
    const text = readFileSync(plain, 'utf8');
    writeFileSync(join(folder, 'voicemode_events_2026-03-01.jsonl'), text);
    writeFileSync(join(folder, 'voicemode_events_2026-03-02.jsonl'), text.replaceAll('2026-01-0', '2026-01-1'));
    const ref = await run(folder, false);
    const got = await run(folder, true, 2);
    expect(got.events).toEqual(ref.events);
    expect(got.analysis).toBe(ref.analysis);
    expect(got.stats.parseWorkers).toBe(2);
  }, 60_000);

  it('gzip files, and files that overlap in time (read at once, each by its own worker)', async () => {
    const gzFolder = splitInto('gz-six', 6, true);
    const refGz = await run(gzFolder, false);
    const gotGz = await run(gzFolder, true, 1);
    expect(gotGz.events).toEqual(refGz.events);
    expect(gotGz.stats.parseWorkers).toBe(1);
    // two files of one day starting at the same time: the merge reads them at once, a worker each
    const text = readFileSync(plain, 'utf8');
    const folders = ['overlap-a', 'overlap-b'].map((f) => join(dir, f));
    for (const f of folders) {
      mkdirSync(f);
      writeFileSync(join(f, 'voicemode_events_2026-01-05.jsonl'), text);
    }
    const ref = await run(folders, false);
    expect(ref.stats.files).toBe(2);
    const got = await run(folders, true, 1);
    expect(got.events).toEqual(ref.events);
    expect(got.analysis).toBe(ref.analysis);
    expect(got.stats.parseWorkers).toBe(2);
  }, 60_000);

  it('a corrupt .gz between good files: its events up to the damage, the rest of the folder read by a new worker', async () => {
    const folder = splitInto('with-corrupt', 3, true);
    const middle = join(folder, 'voicemode_events_2026-02-02.jsonl.gz');
    const bytes = readFileSync(middle);
    writeFileSync(middle, bytes.subarray(0, Math.floor(bytes.length / 2))); // cut: "unexpected end of file"
    const files = await discoverFiles([folder]);
    const read = async (compact: boolean) => {
      const errors: string[] = [];
      const seen: number[] = [];
      const stats = await readEvents(files, (ev: FileEvent) => void seen.push(ev.file), { compact, parseWorkers: 1, onFileError: (_f: number, m: string) => errors.push(m) });
      return { errors, stats, perFile: [0, 1, 2].map((f) => seen.filter((x) => x === f).length) };
    };
    const ref = await read(false);
    const { errors, stats, perFile } = await read(true);
    expect(errors).toEqual([expect.stringContaining('unexpected end of file')]);
    expect(stats.unreadableFiles).toBe(1);
    expect(perFile[0]).toBeGreaterThan(1000);
    expect(perFile[0]).toBe(ref.perFile[0]);
    expect(perFile[2]).toBe(ref.perFile[2]);
    expect(perFile[1]).toBeGreaterThan(0);
    expect(perFile[1]).toBeLessThan(perFile[0]!);
    // the worker that read the corrupt file is replaced (its table may be out of step with the reader's copy)
    expect(stats.parseWorkers).toBe(2);
  }, 60_000);
});
