import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventsFile } from '../../../bench/generate-events.js';
// the built reader: its parse workers run dist/reader/parse-worker.js (real worker threads)
import { readEvents } from '../../dist/reader/read-events.js';
import { discoverFiles } from '../../dist/reader/discover.js';
import { SessionSorter } from '../../dist/reader/session-sorter.js';
import { Analyzer } from '../../dist/analysis/analyzer.js';
import { parsePriceTable } from '../../dist/analysis/prices.js';
import { anomaliesJson } from '../../dist/render-anomalies.js';
import { conversationsJson } from '../../dist/render-conversations.js';
import type { FileEvent } from '../../src/reader/parse-line.js';
import { cli } from '../commands/run.js';

/**
 * Issue 14, round 6: `summary`, `anomalies` and `report` read through the parse workers
 * (compact), `query` / `timeline` and the reference in-thread. Both must give the analysis the
 * same events on any legal input, so the whole analysis (everything `summary --json` and
 * `anomalies --json` print is a function of it and of the read's stats) must come out equal.
 * The generated files mix rare but legal lines into ordinary ones: our lines (span_id) and
 * voicemode's (none), labels that are "", hold \0, unicode or escapes, numbers that are null,
 * strings, booleans, 1e400 (JSON.parse: Infinity), -0, turns past 2^31, every data key the
 * analysis reads on the types it reads them on.
 */
let dir: string;
/** Ordinary lines (our writer's and voicemode's) the odd ones are mixed into. */
let ordinary: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vme-parity-'));
  const gen = join(dir, 'gen.jsonl');
  await generateEventsFile(gen, { events: 6000, format: 'mixed', malformedEvery: 0, startMs: Date.UTC(2026, 0, 5, 9) });
  ordinary = readFileSync(gen, 'utf8').split('\n').filter((l) => l !== '');
}, 60_000);

const PRICES = parsePriceTable({ date: '2026-11-30', prices: { openai: { 'tts-1': { per_1m_characters: 15 } }, '': { '*': { per_1m_characters: 1 } } } }, 'test');

/** A label value as JSON text: strings (plain ASCII on the scanner's fast path; "", \0, unicode and escapes), or no string at all. */
const labelText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('openai', 'kokoro', 'tts-1', '', 'a\u0000b', '\u0000', 'ök', 'q"uote', 'back\\slash', 'nl\nx', '\u2028', '-', '0:', '3:abc', 'x'.repeat(300)).map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 5 }).map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.constantFrom('null', '5', 'true', '{}', '[]', '"\\u006fpenai"', '"\\u0000"') },
);
/** A value of a number key as JSON text: the odd ones (for JSON.parse, 1e400 is Infinity) as often as plain ones. */
const numberText = fc.oneof(
  fc.constantFrom('0', '1', '2.5', '12345', '1E2', '123456789012345678901234', '1.7976931348623157e308', '-3', '0.000001'),
  fc.constantFrom('-0', '1e400', '-1e400', 'null', 'true', 'false', '"2.5"', '"false"', '{}', '[]', '[false]'),
);
/** A conch pid: a few, so that sessions of one process meet. */
const pidText = fc.constantFrom('41', '42', '42', '42', '-0', '0', '1e400', 'null', '"42"', 'true');
const turnText = fc.constantFrom('0', '1', '3', '-0', '2.0', '2147483647', '2147483648', '4294967295', '4294967297', '9007199254740993', '1e20', '1.5', '-1', '"2"', 'null', '1e400', 'true');
const metricsText = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom('ttfa_ms', 'request_time_ms', 'other'), numberText), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
  fc.constantFrom('null', '5', '[]', '"x"'),
);
/** A member of `data` under `key`, as JSON text: a value of the kind the analysis reads there, or any. */
function memberOf(key: string): fc.Arbitrary<string> {
  const value = ['provider', 'model', 'voice', 'transport'].includes(key) ? labelText : key === 'metrics' ? metricsText : key === 'pid' ? pidText : key === 'text' ? fc.constantFrom('"x"', '1', 'null') : numberText;
  return value.map((v) => `"${key}":${v}`);
}
/** `data` of a line whose analysis reads `keys`: mostly those (duplicates too: JSON.parse keeps the last), some others. */
function dataOf(keys: readonly string[]): fc.Arbitrary<string | undefined> {
  const all = [...keys, 'text', 'provider', 'success', 'pid', 'metrics', 'pro\\u0076ider'];
  const members = fc.array(fc.constantFrom(...keys, ...keys, ...keys, ...keys, ...all).chain(memberOf), { maxLength: 5 }).map((ms) => `{${ms.join(',')}}`);
  return fc.oneof({ weight: 10, arbitrary: members }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'null', '{}') });
}
const TTS_LABELS = ['provider', 'model', 'voice', 'transport'];
/**
 * Operations, so that the odd values land where the analysis reads them: a start and its end in
 * one session (and span), which the deriver pairs into a sample with the start's labels.
 */
const OPS: Record<string, readonly (readonly [fc.Arbitrary<string>, readonly string[]])[]> = {
  tts: [[fc.constant('TTS_START'), [...TTS_LABELS, 'characters']], [fc.constant('TTS_FIRST_AUDIO'), []], [fc.constant('TTS_PLAYBACK_START'), []], [fc.constant('TTS_PLAYBACK_END'), ['metrics', 'provider']]],
  recording: [[fc.constant('RECORDING_START'), ['transport']], [fc.constant('RECORDING_END'), ['duration', 'duration_s']]],
  stt: [[fc.constant('STT_START'), ['provider', 'model', 'audio_s']], [fc.constant('STT_COMPLETE'), ['metrics']]],
  llm: [[fc.constant('LLM_START'), ['provider', 'model']], [fc.constant('LLM_COMPLETE'), ['provider', 'model', 'input_tokens', 'output_tokens']]],
  tool: [[fc.constant('TOOL_REQUEST_START'), []], [fc.constantFrom('TOOL_REQUEST_END', 'TOOL_CANCELLED'), ['success']]],
  // a voicemode process's session: its conch pid and time since the last one chain it to the one before
  session: [[fc.constantFrom('CONCH_ACQUIRE', 'CONCH_WAIT_START', 'CONCH_HOLD', 'CONCH_HOLD', 'CONCH_RELEASE'), ['pid']], [fc.constant('SESSION_START'), []], [fc.constant('TIME_SINCE_LAST_SESSION'), ['seconds']], [fc.constant('SESSION_END'), []]],
  line: [[fc.constantFrom('TTS_START', 'STT_START', 'LLM_COMPLETE', 'TTS_ERROR', 'LLM_ERROR', 'CONCH_WAIT_END', 'STT_REQUEST'), [...TTS_LABELS, 'characters', 'audio_s', 'input_tokens', 'pid', 'success', 'seconds']]],
};
const oddGroup = fc
  .record({
    op: fc.constantFrom(...Object.keys(OPS), 'session', 'session'),
    process: fc.integer({ min: 1, max: 5 }),
    session: fc.constantFrom('"v1"', '"v2"', '"v3"', '"v4"', '"v5"', '"o1"', 'null', '"s\\u0031"'),
    second: fc.integer({ min: 0, max: 40 * 60 }),
    python: fc.boolean(),
    turn: fc.option(turnText, { nil: undefined, freq: 2 }),
    span: fc.option(fc.constantFrom('"sp1"', '"sp2"', '""', '"t\\u0031"', '7'), { nil: undefined, freq: 2 }),
    trace: fc.option(fc.constantFrom('"tr1"', '""', '5'), { nil: undefined, freq: 2 }),
    dataFirst: fc.boolean(),
  })
  .chain((g) => fc.tuple(fc.constant(g), fc.tuple(...OPS[g.op]!.map(([type, keys]) => fc.tuple(type, dataOf(keys))))))
  .map(([g, lines]) =>
    lines.map(([type, data], i) => {
      const us = g.second * 1e6 + i * 300_123;
      const hh = String(9 + Math.floor(us / 3.6e9)).padStart(2, '0');
      const mm = String(Math.floor(us / 6e7) % 60).padStart(2, '0');
      const ss = String(Math.floor(us / 1e6) % 60).padStart(2, '0');
      const ts = `2026-01-05T${hh}:${mm}:${ss}.${String(us % 1e6).padStart(6, '0')}${g.python ? '+00:00' : 'Z'}`;
      // a voicemode process's sessions are its own (one session per converse call)
      const head = [`"timestamp":"${ts}"`, `"event_type":"${type}"`, `"session_id":${g.op === 'session' ? `"proc${g.process}_${g.second}"` : g.session}`];
      const d = data === undefined ? [] : [`"data":${data}`];
      // voicemode's lines (Python's time form) carry neither turn nor span_id
      if (g.python) return `{${(g.dataFirst ? [...d, ...head] : [...head, ...d]).join(',')}}`;
      const tail = [...(g.turn === undefined ? [] : [`"turn":${g.turn}`]), ...(g.span === undefined ? [] : [`"span_id":${g.span}`]), ...(g.trace === undefined ? [] : [`"trace_id":${g.trace}`])];
      return `{${(g.dataFirst ? [...d, ...head] : [...head, ...d]).concat(tail).join(',')}}`;
    }),
  );

/**
 * Whole lines of their own: blank, malformed, torn, a byte order mark, `\r\n`, NaN (Python's
 * json.dumps), duplicate top-level keys, bytes that are not UTF-8 (in a label: the reference
 * path; elsewhere: the fast path), a line past `maxLineBytes` (300 here) by its bytes.
 */
const T0 = '"timestamp":"2026-01-05T09:20:00.000000Z"';
const oddLine = fc.constantFrom<(string | number[])[]>(
  [''],
  ['   '],
  ['not json'],
  ['[1,2]'],
  [`{${T0},"event_type":"TTS_START"`],
  [`\ufeff{${T0},"event_type":"TTS_START","session_id":"v1","span_id":"b1","data":{"provider":"bom"}}`],
  [`{${T0},"event_type":"TTS_FIRST_AUDIO","session_id":"v1","span_id":"b1"}\r`],
  [`{${T0},"event_type":"TTS_START","session_id":"v2","data":{"provider":"nan","characters":NaN,"x":Infinity}}`],
  [`{${T0},"event_type":"X","event_type":"TOOL_REQUEST_END","session_id":null,"data":{"success":false},"data":{"success":true},"turn":1,"turn":"x"}`],
  [`{${T0},"event_type":"TOOL_REQUEST_END","session_id":null,"data":{"success":true},"data":{"success":false},"span_id":"a","span_id":""}`],
  [`{${T0},"event_type":"TTS_START","session_id":"v3","span_id":"b2","data":{"provider":"`, [0xff, 0xc3], '","characters":5}}'],
  [`{${T0},"event_type":"TTS_START","session_id":"v3","span_id":"b2","data":{"text":"`, [0xff, 0xe2, 0x82], '","provider":"utf"}}'],
  [`{${T0},"event_type":"TTS_START","session_id":"v3","data":{"text":"`, Array.from({ length: 120 }, () => 0xff), '"}}'],
  [`{${T0},"event_type":"TTS_START","session_id":"v3","data":{"text":"${'é'.repeat(140)}"}}`],
  [`{${T0},"event_type":"TTS_START","session_id":"v3","data":{"text":"${'x'.repeat(300)}"}}`],
);

/** A line's parts as bytes: strings as UTF-8, number arrays as raw bytes. */
function bytesOf(parts: readonly (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

interface Outcome {
  stats: Record<string, unknown>;
  analysis: string;
  anomalies: string;
  conversations: string;
}

/** The whole analysis of `path` as `summary --json --by <by>` and `anomalies --json` compute it: in-thread, or through the parse workers. */
async function analyse(path: string, compact: boolean, by: 'provider' | 'model' | 'voice' | 'transport', parseWorkers?: number, workerTableReset?: number, maxLineBytes?: number): Promise<Outcome> {
  const files = await discoverFiles([path]);
  const analyzer = new Analyzer({ by, details: true, prices: PRICES, labels: ['provider', 'model', 'voice', 'transport'] });
  const sorter = new SessionSorter((evs: FileEvent[]) => analyzer.addSession(evs));
  const stats = await readEvents(
    files,
    (ev: FileEvent) => {
      analyzer.observe(ev);
      sorter.push(ev);
    },
    { compact, parseWorkers, workerTableReset, maxLineBytes },
  );
  sorter.finish();
  const a = analyzer.finish();
  const { store: _store, ...rest } = a;
  return {
    stats: { ...stats, markedBytes: 0, parseWorkers: 0 },
    analysis: JSON.stringify(rest),
    anomalies: JSON.stringify(anomaliesJson(a, true)),
    conversations: JSON.stringify(conversationsJson(a)),
  };
}

let fileNo = 0;
function writeLines(lines: readonly (string | Buffer)[]): string {
  const path = join(dir, `voicemode_events_2026-01-05.${fileNo++}.jsonl`);
  writeFileSync(path, Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'utf8') : l, Buffer.from('\n')])));
  return path;
}

describe('the parse workers give the analysis what the in-thread reader gives', () => {
  it('property: generated files with rare legal lines mixed in, the whole analysis equal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), oddGroup), { minLength: 10, maxLength: 60, size: 'max' }),
        fc.array(fc.tuple(fc.nat(), oddLine), { maxLength: 8 }),
        fc.constantFrom('provider' as const, 'model' as const, 'voice' as const, 'transport' as const),
        fc.constantFrom(1, 2),
        fc.constantFrom(undefined, 16),
        async (odd, whole, by, workers, tableReset) => {
          const lines: (string | Buffer)[] = [...ordinary];
          for (const [at, group] of odd) lines.splice(at % (lines.length + 1), 0, ...group);
          for (const [at, parts] of whole) lines.splice(at % (lines.length + 1), 0, bytesOf(parts));
          const path = writeLines(lines);
          const ref = await analyse(path, false, by);
          const got = await analyse(path, true, by, workers, tableReset);
          expect(got).toEqual(ref);
          if (whole.length > 0) {
            // lines over the bound by their bytes: skipped alike (a line of 120 bytes that are not
            // UTF-8 is 360 bytes decoded, and stays under the bound of 300)
            const refLong = await analyse(path, false, by, undefined, undefined, 300);
            expect(await analyse(path, true, by, workers, tableReset, 300)).toEqual(refLong);
          }
        },
      ),
      // longer or other runs when asked: FC_NUM_RUNS=300 FC_SEED=12345 npx vitest run cli/test/reader/reader-parity.test.ts
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 50), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  }, 240_000);
});

/** `summary --json` of these lines after the ordinary ones, by the built CLI (parse workers). */
async function summary(extra: readonly string[], ...args: string[]): Promise<Record<string, any>> {
  const r = await cli(['summary', '--json', ...args, writeLines([...ordinary, ...extra])]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

describe('each defect of round 5, as a user sees it in `summary --json`', () => {
  const T = '"timestamp":"2026-01-05T09:30:00.000000Z"';
  it('1: a TOOL_REQUEST_END with success false from our library (span_id) is a tool error', async () => {
    const base = await summary([]);
    const s = await summary([`{${T},"event_type":"TOOL_REQUEST_END","session_id":"ours1","turn":1,"span_id":"ab12","data":{"success":false}}`]);
    expect(s.errors).toBe(base.errors + 1);
    expect(s.errors_by_stage.tool).toBe((base.errors_by_stage.tool ?? 0) + 1);
  }, 30_000);

  it('2: the conch pid of any CONCH_* event chains the sessions of one process', async () => {
    // voicemode logs one session per converse call; the process's conch pid links the second to the first
    const line = (sid: string, us: string, type: string, extra = ''): string => `{"timestamp":"2026-01-05T11:00:${us}Z","event_type":"${type}","session_id":"${sid}","data":{${extra}}}`;
    const lines = [
      line('c1', '00.000000', 'CONCH_HOLD', '"pid":4242'),
      line('c1', '01.000000', 'SESSION_START'),
      line('c1', '02.000000', 'SESSION_END'),
      line('c2', '30.000000', 'CONCH_HOLD', '"pid":4242'),
      line('c2', '31.000000', 'SESSION_START'),
      line('c2', '32.000000', 'SESSION_END'),
    ];
    const base = await summary([]);
    const s = await summary(lines);
    expect(s.sessions).toBe(base.sessions + 2);
    expect(s.conversations).toBe(base.conversations + 1); // one conversation, not two
  }, 30_000);

  it('3: a present non-number (`"duration": null`) is their "not given", not absent (`duration_s` is not read then)', async () => {
    const rec = (us: string, type: string, data: string): string => `{"timestamp":"2026-01-05T11:10:${us}Z","event_type":"${type}","session_id":"d1","data":${data}}`;
    const base = await summary([]);
    // the control: without `duration`, their duration_s is compared with ours (2.5 s against 9.5)
    const control = await summary([rec('00.000000', 'RECORDING_START', '{}'), rec('02.500000', 'RECORDING_END', '{"duration_s":9.5}')]);
    expect(control.their_numbers.duration.pairs).toBe(base.their_numbers.duration.pairs + 1);
    const s = await summary([rec('00.000000', 'RECORDING_START', '{}'), rec('02.500000', 'RECORDING_END', '{"duration":null,"duration_s":9.5}')]);
    expect(s.their_numbers.duration.pairs).toBe(base.their_numbers.duration.pairs);
  }, 30_000);

  it('4: a number 1e400 (JSON.parse: -Infinity here) is a number, not the boolean false', async () => {
    const base = await summary([]);
    const s = await summary([`{${T},"event_type":"TOOL_REQUEST_END","session_id":null,"data":{"success":-1e400}}`]);
    expect(s.errors).toBe(base.errors);
  }, 30_000);

  it('5: labels "" and with \\0 inside are kept as they are (`--by provider`)', async () => {
    const tts = (us: string, type: string, data: string): string => `{"timestamp":"2026-01-05T11:20:${us}Z","event_type":"${type}","session_id":"l1","span_id":"x1","turn":1,"data":${data}}`;
    const s = await summary(
      [tts('00.000000', 'TTS_START', '{"provider":"","model":"m"}'), tts('00.400000', 'TTS_FIRST_AUDIO', '{}'), tts('01.000000', 'TTS_START', '{"provider":"a\\u0000b"}'), tts('01.200000', 'TTS_FIRST_AUDIO', '{}')],
      '--by',
      'provider',
    );
    expect(s.groups['']?.ttfa?.count).toBe(1);
    expect(s.groups['a\u0000b']?.ttfa?.count).toBe(1);
    expect(s.groups.a).toBeUndefined();
  }, 30_000);

  it('6: a turn past 2^31 - 1 is kept (the unpaired start lists it), not wrapped', async () => {
    const ev = (us: string, type: string): string => `{"timestamp":"2026-01-05T11:30:${us}Z","event_type":"${type}","session_id":"t1","span_id":"y1","turn":3000000000,"data":{}}`;
    const r = await cli(['anomalies', '--json', writeLines([...ordinary, ev('00.000000', 'TTS_START'), ev('05.000000', 'SESSION_END')])]);
    expect(r.code, r.stderr).toBe(0);
    const unpaired = (JSON.parse(r.stdout) as { unpaired: { session_id: string; turn: number }[] }).unpaired.filter((u) => u.session_id === 't1');
    expect(unpaired.map((u) => u.turn)).toEqual([3000000000]);
  }, 30_000);
});
