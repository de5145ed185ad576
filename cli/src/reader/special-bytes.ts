import { readFileSync } from 'node:fs';
import { wasmOff } from '../environment.js';

/** The few WebAssembly JS API members used here (the project's TS libs carry no WebAssembly types: they live in lib.dom). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => WasmInstance;
}
const WebAssembly = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * Stage 1 of the parse worker's byte scanner (simdjson's two stages, the first one only): for a
 * whole chunk at once, WebAssembly SIMD marks the bytes a JSON string scan must stop at (quote,
 * backslash, control byte, non-ASCII byte), one bit per byte, 32 bytes a step
 * (special-bytes.wat). The scanner (scan-line.ts) then jumps over plain string content to the
 * next marked byte instead of testing it byte by byte; every decision is still taken by the
 * scanner on the byte itself, so its answers do not change.
 *
 * The module is loaded synchronously (a worker builds its scanner before its first chunk). When
 * it cannot be (no WebAssembly SIMD, the .wasm missing from the build, or
 * VOICEMODE_EVENTS_WASM=off in the environment, the switch for A/B measurements and the tests),
 * `loadSpecialBytes` answers undefined and the scanner tests every byte itself, as before.
 */
/**
 * Buffers longer than this are not marked (their lines are scanned byte by byte). The parse
 * worker's chunks (1 MiB and its 64 KiB overlap) are well under it; the buffers grown for one
 * long line (doubling up to the line bound) are over it: marking them would grow the module's
 * memory, which never shrinks, to ~1.1x the bound for the worker's life, to speed up one line.
 */
export const MAX_MARKED_BYTES = 2 << 20;

/**
 * The chunk is copied into the module's memory at this address: the bytes below it (1.17 MiB) hold
 * stage 2's results, its cache of the string table, and the batch rows it writes with its span
 * table (scan-wasm.ts, cli/assembly/scan-line.ts, which scans the same copy and checks this
 * address at load).
 */
export const CHUNK_AT = 1221632;

export class SpecialBytes {
  private readonly memory: WasmMemory;
  private readonly classify: (src: number, n: number, out: number) => void;
  private bytes: Uint8Array;
  /** The module's memory (stage 2 imports it: scan-wasm.ts). */
  get wasmMemory(): WasmMemory {
    return this.memory;
  }

  /** Grows the memory to at least `bytes` (stage 2's regions below the chunk, used before any chunk). False when it cannot. */
  reserve(bytes: number): boolean {
    if (bytes <= this.bytes.length) return true;
    try {
      this.memory.grow(Math.ceil((bytes - this.bytes.length) / 65536));
    } catch {
      return false;
    }
    this.bytes = new Uint8Array(this.memory.buffer);
    return true;
  }

  constructor(instance: WasmInstance) {
    this.memory = instance.exports['memory'] as WasmMemory;
    this.classify = instance.exports['classify'] as (src: number, n: number, out: number) => void;
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  /**
   * The marks of `buf`: bit (i & 31) of word (i >> 5) is set when byte i is special. Bytes from
   * buf.length up to the next multiple of 32 (at least one) are marked too, so a search for the
   * next mark always ends inside the array. The array is a view of the module's memory: valid
   * until the next call (and so is the copy of `buf` at CHUNK_AT that stage 2 scans). Null when
   * `buf` is over MAX_MARKED_BYTES or the memory cannot grow to hold it (the scanner then tests
   * every byte of it itself).
   */
  index(buf: Uint8Array): Uint32Array | null {
    const n = buf.length;
    if (n > MAX_MARKED_BYTES) return null;
    const padded = (n + 32) & ~31; // room for at least one marked padding byte
    const need = CHUNK_AT + padded + (padded >>> 3);
    if (need > this.bytes.length) {
      try {
        this.memory.grow(Math.ceil((need - this.bytes.length) / 65536));
      } catch {
        return null; // RangeError: no memory for it (a line near the bound on a small machine)
      }
      this.bytes = new Uint8Array(this.memory.buffer); // growing detaches the old view
    }
    const mem = this.bytes;
    mem.set(buf, CHUNK_AT);
    mem.fill(0, CHUNK_AT + n, CHUNK_AT + padded); // 0 is a control byte: marked
    this.classify(CHUNK_AT, padded, CHUNK_AT + padded);
    return new Uint32Array(this.memory.buffer, CHUNK_AT + padded, padded >>> 5);
  }
}

/** The stage-1 module, or undefined when it cannot be used (see SpecialBytes). `bytes` replaces the built file (tests). */
export function loadSpecialBytes(bytes?: Uint8Array): SpecialBytes | undefined {
  if (wasmOff()) return undefined;
  if (WebAssembly === undefined) return undefined; // node --jitless
  let special: SpecialBytes;
  try {
    const code = bytes ?? readFileSync(new URL('./special-bytes.wasm', import.meta.url));
    special = new SpecialBytes(new WebAssembly.Instance(new WebAssembly.Module(code)));
  } catch {
    return undefined; // no SIMD, no file, a broken file: the plain scan
  }
  return marksRight(special) ? special : undefined;
}

/**
 * The module's marks of a probe buffer (every byte value, at every position of a word) against
 * the rule worked out here. The wasm writes its words little-endian and the scanner reads them
 * in the host's byte order: on a big-endian host (s390x) every word would come out swapped;
 * this catches that, and a module or engine that marks anything else wrong, before any use.
 */
export function marksRight(special: SpecialBytes): boolean {
  const probe = new Uint8Array(300);
  for (let i = 0; i < probe.length; i++) probe[i] = (i * 7 + (i >> 8)) & 0xff;
  const marks = special.index(probe);
  if (marks === null) return false;
  for (let i = 0; i < probe.length; i++) {
    const c = probe[i]!;
    const want = c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x80;
    if ((((marks[i >>> 5]! >>> (i & 31)) & 1) === 1) !== want) return false;
  }
  return true;
}
