import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { nodeOptions } from './environment.js';

/**
 * V8's heap sizing for the commands that read a whole log (summary, anomalies, report), set at
 * run time in their process (issue 14, round 4: `summary` <= 200 MB peak RSS at 10M events).
 *
 * Their live heap is small and flat (~12-30 MB at 10M events: the analysis's bounded state), but
 * most objects the read builds live long enough to be promoted before they die (sessions are
 * held until they end). Left alone, V8 picks an old-generation growing factor of up to 4x from
 * its GC and allocation speeds, so dead objects piled up to 50-70 MB of old space between full
 * collections, and it doubles the young generation's semi-spaces up to 16 MB each (32 MB).
 * Measured on the 10M-event file with two parse workers (docs/performance.md, "Issue 14, round
 * 4"): either bound alone left the peak at ~200-220 MB, both together 172-187 MB (before:
 * 220-264), for ~0-5% more CPU; a factor of 1.5 instead of 2 saved ~7 MB more for ~5% more still.
 */

/** Old-generation growing factor, in percent over what the last full collection left alive (100: 2x). */
export const HEAP_GROWING_PERCENT = 100;
/**
 * The young generation (both semi-spaces) stops growing once it is this large, MB. Smaller
 * (4 MB semi-spaces, tried in round 3) promotes more objects: a higher peak and more CPU.
 */
export const YOUNG_GENERATION_CAP_MB = 16;

const MB = 1024 * 1024;

/** A V8 flag given on the command line or in NODE_OPTIONS (the user's choice wins). */
function given(flag: RegExp): boolean {
  return [...process.execArgv, nodeOptions()].some((a) => flag.test(a));
}

let growthSet = false;

/**
 * Sets V8's `--heap-growing-percent` for this process, once; V8 reads it at every full
 * collection, so it applies from the next one on (`v8.setFlagsFromString`: the documented way
 * to set a V8 flag after start-up). Process-wide, so call it only from a command's process
 * (the CLI), never from the library.
 */
export function boundHeapGrowth(): void {
  if (growthSet) return;
  growthSet = true;
  if (!given(/heap[-_]growing[-_]percent/)) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** 'off': a semi-space flag was given (or this V8 has no new space); 'capped': the cap was reached. */
let young: 'watch' | 'capped' | 'off' = given(/(max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor/) ? 'off' : 'watch';

/**
 * Called after each batch of the read: once V8 has grown the young generation to
 * YOUNG_GENERATION_CAP_MB, it is kept there (`--semi-space-growth-factor=1`: V8 reads it each
 * time it would grow the semi-spaces; their maximum is fixed at start-up and cannot be lowered
 * later). Set again after every batch from then on: each new isolate (the parse workers of the
 * next file of a multi-file read) puts a factor below 2 back to 2 when it configures its heap
 * (V8's Heap::ConfigureHeap, process-wide flag), which undid the cap on daily files (found by
 * review). ~1-2 µs a call (a heap-space query, then a flag write), a few hundred calls per 1M events.
 */
export function capYoungGeneration(): void {
  if (young === 'off') return;
  if (young === 'capped') {
    setFlagsFromString('--semi-space-growth-factor=1');
    return;
  }
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name !== 'new_space') continue;
    if (s.space_size >= YOUNG_GENERATION_CAP_MB * MB) {
      setFlagsFromString('--semi-space-growth-factor=1');
      young = 'capped';
    }
    return;
  }
  young = 'off'; // no such space in this V8: nothing to cap
}
