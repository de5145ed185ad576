// Profiling aid (not part of `npm run bench`): the parse worker's byte scanner alone over a
// file, read in the worker's 1 MiB chunks, with and without stage 1 (WebAssembly SIMD marks of
// the special string bytes, cli/src/reader/special-bytes.ts), and with stage 2 in WebAssembly too
// (cli/src/reader/scan-wasm.ts; its string-table cache not used here), alternating, in one thread.
// Prints ms and CPU ms per pass; checks the passes give the same answers.
// Usage (after `npm run build`): node bench/scan-stage1.mjs FILE [rounds]
import { readFileSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';
import { LineScanner, SCAN_OK } from '../cli/dist/reader/scan-line.js';
import { loadSpecialBytes } from '../cli/dist/reader/special-bytes.js';
import { loadScanStage2 } from '../cli/dist/reader/scan-wasm.js';

const file = process.argv[2];
const rounds = Number(process.argv[3] ?? 3);
if (!file) throw new Error('usage: node bench/scan-stage1.mjs FILE [rounds]');
const all = readFileSync(file);
const C = 1 << 20;
// the worker's chunks: each a buffer of its own, from a line start to the last newline before 1 MiB on
const chunks = [];
for (let p = 0; p < all.length; ) {
  let e = p + C >= all.length ? all.length : all.lastIndexOf(10, p + C) + 1;
  if (e <= p) e = Math.min(all.length, p + C);
  chunks.push(Buffer.from(all.subarray(p, e)));
  p = e;
}
const special = loadSpecialBytes();
if (!special) throw new Error('stage 1 did not load');
const stage2 = loadScanStage2(special);
if (!stage2) throw new Error('stage 2 did not load');
const scanner = new LineScanner();

function pass(marked, wasm2 = false) {
  let ok = 0;
  let sum = 0;
  for (const buf of chunks) {
    if (marked) scanner.useMarks(buf, special.index(buf), wasm2 ? stage2 : null); // always fits here (1 MiB chunks)
    else scanner.useMarks(null, null);
    for (let p = 0; p < buf.length; ) {
      let nl = buf.indexOf(10, p);
      if (nl < 0) nl = buf.length;
      if (scanner.scan(buf, p, nl) === SCAN_OK) {
        ok++;
        sum += scanner.typeEnd + scanner.sidStart + scanner.dataEnd + scanner.spanStart;
      }
      p = nl + 1;
    }
  }
  return `${ok}/${sum}`;
}

function indexOnly() {
  for (const buf of chunks) special.index(buf);
}

const time = (f) => {
  const c0 = cpuUsage();
  const t0 = performance.now();
  const r = f();
  const ms = performance.now() - t0;
  const c = cpuUsage(c0);
  return { r, ms, cpu: (c.user + c.system) / 1000 };
};
const fmt = (t) => `${t.ms.toFixed(0)} ms (${t.cpu.toFixed(0)} CPU-ms)`;
if (process.env.SCAN_ONLY === 'marked') {
  // for --cpu-prof: stage 1 passes only
  for (let k = 0; k < rounds; k++) console.log(`with stage 1 ${fmt(time(() => pass(true)))}`);
  process.exit(0);
}
for (let k = 0; k < rounds; k++) {
  const plain = time(() => pass(false));
  const marked = time(() => pass(true));
  const both = time(() => pass(true, true));
  const idx = time(indexOnly);
  if (plain.r !== marked.r || plain.r !== both.r) throw new Error(`answers differ: ${plain.r} vs ${marked.r} vs ${both.r}`);
  console.log(`round ${k + 1}: plain ${fmt(plain)}, with stage 1 ${fmt(marked)} (of which stage 1 alone ${fmt(idx)}), ${(marked.ms / plain.ms).toFixed(2)}x; stages 1 and 2 in wasm ${fmt(both)}, ${(both.ms / plain.ms).toFixed(2)}x`);
}
