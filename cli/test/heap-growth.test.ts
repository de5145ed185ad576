import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, YOUNG_GENERATION_CAP_MB } from '../dist/heap-growth.js';

/**
 * heap-growth.ts sets V8's heap sizing at run time, in the process of a command. Checked in real
 * Node processes: the old generation's growth with V8's own GC trace (the same workload, a fixed
 * live set of ~35 MB and objects that live long enough to be promoted, then die, with and
 * without the bound), the young generation's size with v8.getHeapSpaceStatistics().
 */
const MODULE = fileURLToPath(new URL('../dist/heap-growth.js', import.meta.url));

const WORKLOAD = `
const { boundHeapGrowth } = await import(${JSON.stringify(MODULE)});
if (process.argv[1] === 'bound') boundHeapGrowth();
const keep = new Array(300000);
let n = 0;
for (let i = 0; i < 5e6; i++) {
  const o = { i, a: [i, i + 1] };
  keep[(i * 7919) % keep.length] = o;
  n += o.a.length;
}
console.log(n > 0 ? 'done' : 'none');
`;

/** The old generation's growth between full collections: heap size at each Mark-Compact's start over the size left by the one before. */
function growthRatios(args: string[], mode: string): number[] {
  const r = spawnSync(process.execPath, [...args, '--trace-gc', '--input-type=module', '-e', WORKLOAD, mode], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('done');
  const marks = [...r.stdout.matchAll(/Mark-Compact(?: \([^)]*\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \(/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  expect(marks.length).toBeGreaterThanOrEqual(2);
  const ratios: number[] = [];
  for (let i = 1; i < marks.length; i++) ratios.push(marks[i]![0] / marks[i - 1]![1]);
  return ratios;
}

/** Objects that survive a scavenge or two (V8 then grows the semi-spaces), checked as a reader's batches are. */
const YOUNG = `
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
const { capYoungGeneration } = await import(${JSON.stringify(MODULE)});
const ring = new Array(200000);
let max = 0;
for (let i = 0; i < 4e6; i++) {
  ring[i % ring.length] = { i, a: [i] };
  if (i === 2e6 && process.argv[2] === 'worker') {
    // as a multi-file read starts the next file's parse worker: its isolate resets V8's growth
    // factor when it configures its heap (before 'online'); the reader's next batch calls the cap
    const w = new Worker('setTimeout(() => {}, 100)', { eval: true });
    await new Promise((r) => w.once('online', r));
    capYoungGeneration();
  }
  if (i % 20000 === 0) {
    if (process.argv[1] === 'cap') capYoungGeneration();
    const size = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    if (size > max) max = size;
  }
}
console.log(JSON.stringify({ maxMB: max / 1048576 }));
`;

function youngMaxMB(args: string[], mode: string, worker = false): number {
  const r = spawnSync(process.execPath, [...args, '--input-type=module', '-e', YOUNG, mode, ...(worker ? ['worker'] : [])], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { maxMB: number }).maxMB;
}

describe('capYoungGeneration', () => {
  it('keeps the young generation at its cap once it got there; without it V8 doubles it once more', () => {
    expect(youngMaxMB([], 'cap')).toBeLessThanOrEqual(YOUNG_GENERATION_CAP_MB);
    expect(youngMaxMB([], 'none')).toBeGreaterThan(YOUNG_GENERATION_CAP_MB);
  }, 60_000);

  it('keeps the cap after a worker thread starts (a new isolate puts the growth factor back to 2)', () => {
    // The median of 5 runs: while the main thread waits for the worker to come online, a
    // scavenge can still grow the young generation once with the factor the new isolate put
    // back (seen in 1 run of 12 with both cores busy; the reader's next batch re-caps it). Without
    // the re-cap after the worker starts, every run grows to 32 MB.
    const runs = Array.from({ length: 5 }, () => youngMaxMB([], 'cap', true)).sort((a, b) => a - b);
    expect(runs[2]).toBeLessThanOrEqual(YOUNG_GENERATION_CAP_MB);
  }, 120_000);

  it('leaves semi-space flags given on the command line alone', () => {
    expect(youngMaxMB(['--semi-space-growth-factor=2'], 'cap')).toBeGreaterThan(YOUNG_GENERATION_CAP_MB);
  }, 60_000);
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

describe('boundHeapGrowth', () => {
  it('starts each full collection once the heap has grown by the set factor; without it V8 lets it grow ~4.5x', () => {
    const factor = 1 + HEAP_GROWING_PERCENT / 100;
    const bound = growthRatios([], 'bound');
    const free = growthRatios([], 'none');
    // the factor times the live set, plus the young generation and what is allocated while V8
    // marks concurrently (measured 1.25-1.3x more: 1.96 at 1.5, 2.51 at 2). Medians: a single
    // collection under load reached 2.78 on Node 22 (review), the medians stay at ~2.5 and ~4.5
    expect(median(bound)).toBeLessThan(factor * 1.5);
    // the workload does make V8 grow the heap further on its own (the check above means something)
    expect(median(free)).toBeGreaterThan(factor * 1.8);
  }, 90_000);

  it('leaves a growing factor given on the command line alone', () => {
    const given = growthRatios(['--heap-growing-percent=300'], 'bound');
    expect(median(given)).toBeGreaterThan((1 + HEAP_GROWING_PERCENT / 100) * 1.8);
  }, 60_000);
});
