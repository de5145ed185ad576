import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { NUM_STRIDE, STRIDE, TURN_ASIDE, USAGE_STRIDE, type WorkerInput } from '../../src/reader/worker-protocol.js';

/**
 * Issue 14, round 8: stage 2 writes the batch rows of a run of lines itself (parse-worker.ts
 * Batch.runLines, cli/assembly/scan-line.ts `rows`), with the batch's span ids in its memory.
 * Differential: the built worker (real worker threads) posts the same batches, every column,
 * string table and count, with the rows on, with one stage-2 call per line (round 7), with
 * stage 2 in JavaScript, and with no WebAssembly at all, on generated files (plain and gzip) that
 * mix our lines, voicemode's lines without span ids, malformed, blank, CRLF and long lines,
 * escapes, non-ASCII bytes, odd numbers and turns, span ids of every kind, and table resets.
 */
const MODES = ['on', 'stage2', 'stage1', 'off'] as const;
type Mode = (typeof MODES)[number];

/** One worker of the built reader in one mode, reading file after file (as the pool's workers do: their tables carry over). */
class ModeWorker {
  private readonly worker: Worker;
  private pending: ((batches: unknown[]) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  private batches: unknown[] = [];
  private gz = false;
  private readonly table: string[] = [];
  /** `trapped` messages (fixtures/trapping-rows-worker.mjs). */
  traps = 0;

  constructor(mode: Mode, trapAt?: number) {
    const script = trapAt === undefined ? new URL('../../dist/reader/parse-worker.js', import.meta.url) : new URL('./fixtures/trapping-rows-worker.mjs', import.meta.url);
    this.worker = new Worker(script, { env: { ...process.env, VOICEMODE_EVENTS_WASM: mode }, workerData: { trapAt } });
    this.worker.on('message', (m: Record<string, unknown> & { kind: string; n: number; ts: Float64Array; ints: Int32Array; nums: Float64Array; numsN: number; usage: Float64Array; usageN: number }) => {
      if (m.kind === 'batch') {
        // the worker's string table as the reader keeps it (it carries over from file to file)
        if (m['reset'] === true) this.table.length = 0;
        this.table.push(...(m['fresh'] as string[]));
        const names: (string | null)[] = [];
        for (let k = 0; k < m.n; k++) for (const f of [0, 1, 4]) names.push(m.ints[k * STRIDE + f]! < 0 ? null : this.table[m.ints[k * STRIDE + f]!]!);
        // the used part of each column; a gzip batch's compressed bytes depend on timing
        this.batches.push({
          names,
          ts: Array.from(m.ts.subarray(0, m.n)),
          ints: Array.from(m.ints.subarray(0, m.n * STRIDE)),
          nums: Array.from(m.nums.subarray(0, m.numsN * NUM_STRIDE)),
          usage: Array.from(m.usage.subarray(0, m.usageN * USAGE_STRIDE)),
          rest: [m['reset'], m['fresh'], m['spans'], m['lines'], m['skipped'], m['long'], m['turns'], m['nonFinite'], this.gz ? null : m['bytes']],
        });
        this.worker.postMessage('ack');
      } else if (m.kind === 'trapped') this.traps++;
      else if (m.kind === 'end') {
        const done = this.pending!;
        this.pending = undefined;
        done(this.batches);
      } else this.failed?.(new Error(JSON.stringify(m)));
    });
  }

  read(input: Omit<WorkerInput, 'job' | 'file' | 'index' | 'workers' | 'maxInFlight'>): Promise<unknown[]> {
    this.batches = [];
    this.gz = input.gz;
    return new Promise((resolve, reject) => {
      this.pending = resolve;
      this.failed = reject;
      this.worker.postMessage({ kind: 'job', input: { ...input, job: 1, file: 0, index: 0, workers: 1, maxInFlight: 3 } });
    });
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

let dir: string;
let ordinary: string[];
const workers = new Map<Mode, ModeWorker>();
/**
 * Other workers for the gzip files: a gzip batch's cut follows the stream's timing, and so do the
 * table's resets at batch starts; a worker's table carries over to its next file, so plain files
 * read after a gzip one would not start from the same table in every mode.
 */
const gzWorkers = new Map<Mode, ModeWorker>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vme-rows-'));
  const gen = join(dir, 'gen.jsonl');
  await generateEventsFile(gen, { events: 3000, format: 'mixed', malformedEvery: 0, startMs: Date.UTC(2026, 0, 5, 9) });
  ordinary = readFileSync(gen, 'utf8').split('\n').filter((l) => l !== '');
  for (const m of MODES) workers.set(m, new ModeWorker(m));
  for (const m of MODES) gzWorkers.set(m, new ModeWorker(m));
}, 60_000);

afterAll(async () => {
  for (const w of [...workers.values(), ...gzWorkers.values()]) await w.stop();
});

interface Batch {
  /** Per event: its type, session id and label set, resolved through the worker's table when it came. */
  names: (string | null)[];
  ts: number[];
  ints: number[];
  nums: number[];
  usage: number[];
  rest: unknown[];
}

/**
 * The events of a read's batches as the reader takes them (read-events.ts WorkerCursor.take):
 * ids resolved through the worker's string table (`names`) and the batch's span ids, lines made the file's, numbers and usage figures beside their event; skipped and long
 * lines as file lines. Independent of where the batches were cut.
 */
function decoded(batches: readonly Batch[]): unknown {
  const events: unknown[] = [];
  const skipped: number[] = [];
  const long: number[] = [];
  let nonFinite = 0;
  let lineOffset = 0;
  for (const b of batches) {
    const [, , spans, lines, skip, lng, turns, nf] = b.rest as [boolean, string[], string[], number, number[], number[], number[], number];
    const byEvent = (col: number[], stride: number): Map<number, number[]> => {
      const m = new Map<number, number[]>();
      for (let j = 0; j < col.length; j += stride) m.set(col[j]!, col.slice(j + 1, j + stride));
      return m;
    };
    const nums = byEvent(b.nums, NUM_STRIDE);
    const usage = byEvent(b.usage, USAGE_STRIDE);
    const aside = byEvent(turns, 2);
    for (let k = 0; k < b.ts.length; k++) {
      const o = k * STRIDE;
      const turn = b.ints[o + 2]! === TURN_ASIDE ? aside.get(k)![0]! : b.ints[o + 2]!;
      const span = b.ints[o + 3]! < 0 ? null : spans[b.ints[o + 3]!]!;
      events.push([b.ts[k], ...b.names.slice(3 * k, 3 * k + 3), turn, span, lineOffset + b.ints[o + 5]!, nums.get(k) ?? null, usage.get(k) ?? null]);
    }
    for (const l of skip) skipped.push(lineOffset + l);
    for (const l of lng) long.push(lineOffset + l);
    nonFinite += nf;
    lineOffset += lines;
  }
  return { events, skipped, long, nonFinite, lines: lineOffset };
}

let fileNo = 0;
/** The batches of `bytes` (a plain file and its gzip) in every mode, each checked equal to the mode without WebAssembly's. */
async function sameInEveryMode(bytes: Buffer, opts: { chunkBytes: number; maxLineBytes: number; tableReset?: number | undefined }): Promise<unknown[]> {
  const path = join(dir, `voicemode_events_2026-01-05.${fileNo++}.jsonl`);
  writeFileSync(path, bytes);
  writeFileSync(`${path}.gz`, gzipSync(bytes));
  let plain: unknown[] = [];
  for (const gz of [false, true]) {
    const file = gz ? `${path}.gz` : path;
    const input = { path: file, gz, size: gz ? readFileSync(file).length : bytes.length, chunkBytes: opts.chunkBytes, maxLineBytes: opts.maxLineBytes, tableReset: opts.tableReset };
    const got = new Map<Mode, unknown[]>();
    for (const m of MODES) got.set(m, await (gz ? gzWorkers : workers).get(m)!.read(input));
    if (gz) {
      // a gzip file's batch boundaries follow the stream's timing: its events compared, decoded
      // (ids to strings, lines to the file's), with each other and with the plain file's
      const want = decoded(plain as Batch[]);
      for (const m of MODES) expect(decoded(got.get(m) as Batch[]), `${m} gzip`).toEqual(want);
    } else {
      for (const m of MODES) expect(got.get(m), `${m} plain`).toEqual(got.get('off'));
      plain = got.get('on')!;
    }
  }
  return plain;
}

const minuteTs = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 999_999 }), fc.constantFrom('Z', 'Z', 'Z', '+00:00', '+02:30', 'short', 'z'));
const tsText = minuteTs.map(([m, s, us, form]) => {
  const base = `2026-01-05T09:0${m}:${String(s).padStart(2, '0')}`;
  if (form === 'short') return `"${base}+00:00"`;
  return `"${base}.${String(us).padStart(6, '0')}${form}"`;
});
const typeText = fc.constantFrom('"TTS_START"', '"TTS_START"', '"STT_START"', '"LLM_COMPLETE"', '"TTS_FIRST_AUDIO"', '"TTS_PLAYBACK_END"', '"RECORDING_END"', '"STT_COMPLETE"', '"TOOL_REQUEST_END"', '"CONCH_ACQUIRE"', '"TIME_SINCE_LAST_SESSION"', '"SESSION_START"', '"T\\u0054S_START"', '""', '5');
const sessionText = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 40 }).map((i) => `"s${i}"`) }, { weight: 1, arbitrary: fc.constantFrom('null', '"s\\u00311"', '"sé"', '7') });
const spanText = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 60 }).map((i) => `"sp${i}"`) },
  { weight: 2, arbitrary: fc.constantFrom('""', '"s\\u00701"', '"spé"', '"sp\\u00e9"', '5', 'null', `"${'L'.repeat(5000)}"`, `"${'M'.repeat(4096)}"`, `"${'M'.repeat(4097)}"`) },
);
const labelText = fc.constantFrom('"openai"', '"kokoro"', '"tts-1"', '""', '"ök"', '"q\\"x"', 'null', '5', '"x\\u0041"');
const figureText = fc.constantFrom('32', '6.723327', '0', '0.5', '302', '1e2', '-3', '12345678901234567', '1234567890.12345', '123456789012345', '1.7976931348623157e308', 'null', '"5"', 'true', '-0', '0.000001');
const turnText = fc.constantFrom('0', '1', '7', '123456789', '1234567890', '2147483648', '-0', '1.5', '"2"', 'null', '1e3');
const dataText = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.oneof(fc.tuple(fc.constantFrom('provider', 'model', 'voice', 'transport'), labelText), fc.tuple(fc.constantFrom('characters', 'audio_s', 'input_tokens', 'output_tokens', 'pid', 'seconds', 'success', 'duration'), figureText), fc.tuple(fc.constantFrom('text', 'metrics', 'pro\\u0076ider'), fc.constantFrom('"x"', '{"ttfa_ms":5}', '[1,{"a":null}]', '"é"'))), { maxLength: 6 }).map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`) },
  { weight: 1, arbitrary: fc.constantFrom('{}', 'null', '[]', '"x"') },
);
/** A line of fields in a generated order (duplicates, data before event_type and absent fields too). */
const fieldLine = fc
  .record({
    ts: tsText,
    type: typeText,
    session: fc.option(sessionText, { nil: undefined, freq: 6 }),
    turn: fc.option(turnText, { nil: undefined, freq: 2 }),
    span: fc.option(spanText, { nil: undefined, freq: 4 }),
    data: fc.option(dataText, { nil: undefined, freq: 8 }),
    dataFirst: fc.boolean(),
    ws: fc.constantFrom('', '', '', ' ', '\t'),
  })
  .map((f) => {
    const head = [`"timestamp":${f.ts}`, `"event_type":${f.type}`, ...(f.session === undefined ? [] : [`"session_id":${f.session}`])];
    const d = f.data === undefined ? [] : [`"data":${f.data}`];
    const tail = [...(f.turn === undefined ? [] : [`"turn":${f.turn}`]), ...(f.span === undefined ? [] : [`"span_id":${f.span}`])];
    return `${f.ws}{${(f.dataFirst ? [...d, ...head] : [...head, ...d]).concat(tail).join(`,${f.ws}`)}}${f.ws}`;
  });
/** Whole odd lines: blank, malformed, torn, CRLF, BOM, bytes that are not UTF-8, long. */
const oddLine = fc.constantFrom<(string | number[])[]>(
  [''],
  ['   '],
  ['\r'],
  ['not json'],
  ['{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START"'],
  ['\ufeff{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START","session_id":"s1","span_id":"sp1"}'],
  ['{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_FIRST_AUDIO","session_id":"s1","span_id":"sp1"}\r'],
  ['{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START","session_id":"s2","data":{"characters":NaN}}'],
  ['{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START","session_id":"s3","span_id":"sp2","data":{"provider":"', [0xff, 0xc3], '"}}'],
  ['{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START","session_id":"s3","span_id":"sp9","data":{"text":"', [0xe2, 0x82, 0xac], '"}}'],
  [`{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START","session_id":"s3","span_id":"big","data":{"text":"${'x'.repeat(70_000)}"}}`],
  [`{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"TTS_START","session_id":"s3","data":{"text":"${'é'.repeat(400)}"}}`],
);

function bytesOf(parts: readonly (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

describe('stage 2 writing the batch rows', () => {
  it('property: the same batches in every mode, plain and gzip, across chunk sizes, line bounds and table resets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 6, arbitrary: fc.nat().map((i) => ordinary[i % ordinary.length]!) }, { weight: 4, arbitrary: fieldLine }, { weight: 1, arbitrary: oddLine.map(bytesOf) }), { minLength: 1, maxLength: 400, size: 'max' }),
        fc.constantFrom(1 << 20, 4096, 700),
        fc.constantFrom(1 << 20, 300),
        fc.constantFrom(undefined, 16),
        fc.constantFrom('\n', '\r\n'),
        async (lines, chunkBytes, maxLineBytes, tableReset, eol) => {
          const bytes = Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'utf8') : l, Buffer.from(eol)]));
          await sameInEveryMode(bytes, { chunkBytes, maxLineBytes, tableReset });
        },
      ),
      { numRuns: 60 },
    );
  }, 300_000);

  it('usage figures of lines whose data comes before event_type (the module leaves them to the JS)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const type = ['TTS_START', 'STT_START', 'LLM_COMPLETE', 'TTS_FIRST_AUDIO'][i % 4]!;
      const data = `"data":{"provider":"p${i % 3}","characters":${i},"audio_s":${i / 8},"input_tokens":${i * 3},"output_tokens":${i % 7}}`;
      const head = `"timestamp":"2026-01-05T09:00:0${i % 10}.${String(i).padStart(6, '0')}Z","event_type":"${type}","session_id":"s${i % 5}"`;
      lines.push(i % 2 === 0 ? `{${data},${head},"span_id":"sp${i}"}` : `{${head},${data},"span_id":"sp${i}"}`);
    }
    const batches = (await sameInEveryMode(Buffer.from(`${lines.join('\n')}\n`), { chunkBytes: 1 << 20, maxLineBytes: 1 << 20 })) as Batch[];
    // every usage type's line has its figures, data first or not
    expect(batches.reduce((n, b) => n + b.usage.length / USAGE_STRIDE, 0)).toBe(300);
    expect(batches[0]!.usage.slice(1, USAGE_STRIDE)).toEqual([0, 0, 0, 0]);
  }, 60_000);

  it('a span id over 4,096 bytes has one id in its batch, read by the scanner or through parseLine', async () => {
    // main's StringTable gave such a string a second id when it came as a string (parseLine) after
    // its bytes (the scan): review of round 8
    const span = 'S'.repeat(4097);
    const line = (sid: string, us: number): string => `{"timestamp":"2026-01-05T09:00:00.00000${us}Z","event_type":"TTS_START","session_id":"${sid}","span_id":"${span}"}`;
    const batches = (await sameInEveryMode(Buffer.from(`${line('s1', 1)}\n${line('s1', 2)}\n${line('s\\u0031', 3)}\n`), { chunkBytes: 1 << 20, maxLineBytes: 1 << 20 })) as Batch[];
    expect(batches[0]!.ints.filter((_, i) => i % STRIDE === 3)).toEqual([0, 0, 0]);
    expect(batches[0]!.rest[2]).toEqual([span]);
  }, 60_000);

  it('fills the module\'s regions: more rows, usage entries and new span ids than fit in one call or its span table', async () => {
    // ~4 MB, each line with a span id of its own and usage figures: the rows region (8,192) and the
    // usage region (2,048) fill in a call, the span table (8,192 ids) in a batch; spans the module
    // cannot keep take ids here in between; a label set new every 300 lines, its session and type known
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const span = i % 97 === 0 ? `sp\\u00e9${i}` : `span${i}`;
      lines.push(`{"timestamp":"2026-01-05T09:${String(Math.floor(i / 6000)).padStart(2, '0')}:00.${String(i).padStart(6, '0')}Z","event_type":"${i % 3 === 0 ? 'TTS_START' : 'TTS_FIRST_AUDIO'}","session_id":"s${i % 50}","data":{"characters":${i % 400},"provider":"p${Math.floor(i / 300)}"},"turn":${i % 9},"span_id":"${span}"}`);
      if (i % 1000 === 0) lines.push('');
    }
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    // chunks of 1.9 MB: with the overlap still under MAX_MARKED_BYTES (2 MiB), so stage 2 takes them
    const batches = (await sameInEveryMode(bytes, { chunkBytes: 1_900_000, maxLineBytes: 1 << 20 })) as { ts: number[]; usage: number[]; rest: unknown[] }[];
    expect(batches[0]!.ts.length).toBeGreaterThan(9000);
    expect(batches[0]!.usage.length / USAGE_STRIDE).toBeGreaterThan(3000);
    expect((batches[0]!.rest[2] as string[]).length).toBe(batches[0]!.ts.length); // a span id per line
    await sameInEveryMode(bytes, { chunkBytes: 1 << 20, maxLineBytes: 1 << 20, tableReset: 16 });
  }, 120_000);

  it('a trap in `rows` (after it wrote rows and took span ids) leaves the batches as they are without stage 2', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      lines.push(`{"timestamp":"2026-01-05T09:00:0${i % 10}.${String(i).padStart(6, '0')}Z","event_type":"TTS_START","session_id":"s${i % 7}","data":{"characters":${i}},"span_id":"sp${i % 300}"}`);
      if (i % 40 === 0) lines.push(`{"timestamp":"2026-01-05T09:00:00.000001Z","event_type":"NEW_${i}","session_id":"s1","span_id":"sp${i + 7}"}`);
    }
    const path = join(dir, 'trap.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const input = { path, gz: false, size: readFileSync(path).length, chunkBytes: 64 * 1024, maxLineBytes: 1 << 20 };
    // fresh workers on both sides (a worker's string table carries over from file to file)
    const off = new ModeWorker('off');
    const want = await off.read(input);
    await off.stop();
    for (const trapAt of [1, 5, 40]) {
      const w = new ModeWorker('on', trapAt);
      try {
        expect(await w.read(input), `trap at call ${trapAt}`).toEqual(want);
        expect(w.traps).toBe(1);
      } finally {
        await w.stop();
      }
    }
  }, 60_000);
});
