/**
 * Micro-bench of item 3c's remaining gap (not part of `npm run bench`): what watching a stream
 * costs per chunk, the wrapper alone (`watchStream`, src/instrument/operation-base.ts) against a
 * bare `for await` over the same source. A "turn" here is the two streams of bench/turn-cost.ts:
 * 30 string tokens, then 20 audio chunks (50 chunks). Both AsyncLocalStorage users of an app run
 * (the OTel context manager and our scope): with them every promise runs the async hooks, which
 * is most of what a chunk costs.
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/stream-watch-cost.js [turns] [reps]
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { scopeStorage } from '../src/instrument/core.js';
import { watchStream, type StreamWatch } from '../src/instrument/operation-base.js';
import { median, yieldToLoop } from './harness.js';
import { ensureContextManager } from './subjects.js';

const TOKENS = Array.from({ length: 30 }, (_, i) => (i === 0 ? 'It' : ` w${i}`));
const CHUNK = new Uint8Array(960);
const CHUNKS = TOKENS.length + 20;

async function* tokens(): AsyncGenerator<string> {
  for (let i = 0; i < TOKENS.length; i++) yield TOKENS[i]!;
}
async function* audio(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 20; i++) yield CHUNK;
}

let sink = 0;
const noop = (): void => undefined;
const NOOP_WATCH: StreamWatch<unknown> = { chunk: noop, end: noop, error: noop, stop: noop };

/** What the LLM and TTS handles do per chunk: the first one marked, the text kept (LLM), the end marked. */
function llmWatch(): StreamWatch<string> {
  let first = false;
  let text = '';
  return {
    chunk: (c) => {
      if (!first) first = true;
      if (typeof c === 'string' && text.length < 16_384) text += c;
    },
    end: () => {
      sink += text.length;
    },
    error: noop,
    stop: noop,
  };
}
function ttsWatch(): StreamWatch<Uint8Array> {
  let first = false;
  return {
    chunk: () => {
      if (!first) first = true;
    },
    end: () => {
      sink++;
    },
    error: noop,
    stop: noop,
  };
}

type Turn = () => Promise<void>;
const subjects: Record<string, Turn> = {
  bare: async () => {
    let r = '';
    for await (const t of tokens()) r += t;
    for await (const c of audio()) sink += c.length;
    sink += r.length;
  },
  'watch, no-op': async () => {
    let r = '';
    for await (const t of watchStream(tokens(), NOOP_WATCH as StreamWatch<string>)) r += t;
    for await (const c of watchStream(audio(), NOOP_WATCH as StreamWatch<Uint8Array>)) sink += c.length;
    sink += r.length;
  },
  'watch, as the handles': async () => {
    let r = '';
    for await (const t of watchStream(tokens(), llmWatch())) r += t;
    for await (const c of watchStream(audio(), ttsWatch())) sink += c.length;
    sink += r.length;
  },
};

const turns = Number(process.argv[2] ?? 2000);
const reps = Number(process.argv[3] ?? 15);
ensureContextManager();
const main = async (): Promise<void> => {
  const names = Object.keys(subjects);
  const wall = new Map<string, number[]>(names.map((n) => [n, []]));
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < 5000; i++) await subjects[n]!();
  for (let rep = 0; rep < reps; rep++) {
    for (const n of names) {
      const one = subjects[n]!;
      await yieldToLoop();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < turns; i++) await one();
      const t = performance.now() - t0;
      const c = process.cpuUsage(c0);
      wall.get(n)!.push((t * 1e6) / turns);
      cpu.get(n)!.push(((c.user + c.system) * 1e3) / turns);
    }
  }
  const bareWall = median(wall.get('bare')!);
  const bareCpu = median(cpu.get('bare')!);
  console.log(`${turns} turns x ${reps} repetitions, medians; per chunk = (subject - bare) / ${CHUNKS}`);
  for (const n of names) {
    const w = median(wall.get(n)!);
    const c = median(cpu.get(n)!);
    console.log(
      `${n.padEnd(24)} ${(w / 1e3).toFixed(2)} µs/turn (CPU ${(c / 1e3).toFixed(2)})  +${((w - bareWall) / CHUNKS).toFixed(0)} ns/chunk (CPU +${((c - bareCpu) / CHUNKS).toFixed(0)})`,
    );
  }
};
await scopeStorage.run({}, () => context.with(ROOT_CONTEXT.setValue(Symbol('bench'), 1), main));
if (sink === 0) throw new Error('bench: nothing consumed');
