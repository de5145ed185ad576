import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { isBlank, parseLine } from './parse-line.js';

/**
 * Worker thread of the compact reader (summary, anomalies, report): reads one file, splits
 * and parses its lines with the same rules as the in-thread reader (parse-line.ts), and posts
 * batches in columns (typed arrays + a per-batch string table) so that the main thread, which
 * runs the derivation, gets each event without a second JSON.parse. At most a few batches are
 * in flight (credit-based), so memory stays bounded when the main thread is slower.
 */
import { STRIDE, type WorkerInput, type WorkerMessage } from './worker-protocol.js';

const input = workerData as WorkerInput;
const port = parentPort as NonNullable<typeof parentPort>;
let credits = input.maxInFlight;
let wake: (() => void) | undefined;
port.on('message', (m: string) => {
  if (m === 'ack') {
    credits++;
    wake?.();
  } else if (m === 'stop') process.exit(0);
});

function labelKey(data: Record<string, unknown>): string | undefined {
  const { provider, model, voice, transport } = data;
  const p = typeof provider === 'string' ? provider : undefined;
  const m = typeof model === 'string' ? model : undefined;
  const v = typeof voice === 'string' ? voice : undefined;
  const t = typeof transport === 'string' ? transport : undefined;
  if (p === undefined && m === undefined && v === undefined && t === undefined) return undefined;
  return `${p ?? ''}\u0000${m ?? ''}\u0000${v ?? ''}\u0000${t ?? ''}`;
}

async function run(): Promise<void> {
  const raw = createReadStream(input.path, { highWaterMark: input.chunkBytes });
  let s: Readable = raw;
  if (input.gz) {
    const gunzip = createGunzip({ chunkSize: input.chunkBytes });
    raw.on('error', (e) => gunzip.destroy(e));
    s = raw.pipe(gunzip);
  }
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  let sentBytes = 0;

  const parseText = async (text: string, final: boolean): Promise<void> => {
    const lines = text.split('\n');
    if (!final) rest = lines.pop() ?? '';
    const n = lines.length;
    const ts = new Float64Array(n);
    const ints = new Int32Array(n * STRIDE);
    const strings: string[] = [];
    const index = new Map<string, number>();
    const id = (v: string): number => {
      let i = index.get(v);
      if (i === undefined) {
        i = strings.length;
        strings.push(v);
        index.set(v, i);
      }
      return i;
    };
    const skipped: number[] = [];
    let k = 0;
    for (let li = 0; li < n; li++) {
      lineNo++;
      let line = lines[li]!;
      if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (line.length === 0 || isBlank(line)) continue;
      const ev = parseLine(line, input.file, lineNo);
      if (ev === undefined) {
        skipped.push(lineNo);
        continue;
      }
      ts[k] = ev.timestampUs;
      const o = k * STRIDE;
      ints[o] = id(ev.eventType);
      ints[o + 1] = ev.sessionId === null ? -1 : id(ev.sessionId);
      ints[o + 2] = ev.turn ?? -1;
      ints[o + 3] = ev.spanId === undefined ? -1 : id(ev.spanId);
      const lk = labelKey(ev.data);
      ints[o + 4] = lk === undefined ? -1 : id(lk);
      ints[o + 5] = lineNo;
      k++;
    }
    while (credits <= 0) await new Promise<void>((r) => (wake = r));
    credits--;
    const bytes = raw.bytesRead - sentBytes;
    sentBytes = raw.bytesRead;
    const msg: WorkerMessage = { kind: 'batch', ts, ints, n: k, strings, skipped, bytes };
    port.postMessage(msg, [ts.buffer, ints.buffer]);
  };

  try {
    for await (const chunk of s) {
      const text = rest + decoder.write(chunk as Buffer);
      rest = '';
      if (text.lastIndexOf('\n') < 0) {
        rest = text;
        continue;
      }
      await parseText(text, false);
    }
    const tail = rest + decoder.end();
    if (tail !== '') await parseText(tail, true);
    port.postMessage({ kind: 'end', bytes: raw.bytesRead - sentBytes } satisfies WorkerMessage);
  } catch (err) {
    port.postMessage({ kind: 'error', message: (err as Error).message ?? String(err) } satisfies WorkerMessage);
  }
}

if (!isMainThread) void run();
