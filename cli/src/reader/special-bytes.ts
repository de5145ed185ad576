import { readFileSync } from 'node:fs';
import { wasmOff } from '../environment.js';

/** The few WebAssembly JS API members used here (the project's TS libs carry no WebAssembly types: they live in lib.dom). */
interface WasmMemory {
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
export class SpecialBytes {
  private readonly memory: WasmMemory;
  private readonly classify: (src: number, n: number, out: number) => void;
  private bytes: Uint8Array;

  constructor(instance: WasmInstance) {
    this.memory = instance.exports['memory'] as WasmMemory;
    this.classify = instance.exports['classify'] as (src: number, n: number, out: number) => void;
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  /**
   * The marks of `buf`: bit (i & 31) of word (i >> 5) is set when byte i is special. Bytes from
   * buf.length up to the next multiple of 32 (at least one) are marked too, so a search for the
   * next mark always ends inside the array. The array is a view of the module's memory: valid
   * until the next call. Null when the memory cannot grow to hold `buf` (the scanner then tests
   * every byte of it itself).
   */
  index(buf: Uint8Array): Uint32Array | null {
    const n = buf.length;
    const padded = (n + 32) & ~31; // room for at least one marked padding byte
    const need = padded + (padded >>> 3);
    if (need > this.bytes.length) {
      try {
        this.memory.grow(Math.ceil((need - this.bytes.length) / 65536));
      } catch {
        return null; // RangeError: no memory for it (a line near the bound on a small machine)
      }
      this.bytes = new Uint8Array(this.memory.buffer); // growing detaches the old view
    }
    const mem = this.bytes;
    mem.set(buf, 0);
    mem.fill(0, n, padded); // 0 is a control byte: marked
    this.classify(0, padded, padded);
    return new Uint32Array(this.memory.buffer, padded, padded >>> 5);
  }
}

/** The stage-1 module, or undefined when it cannot be used (see SpecialBytes). `bytes` replaces the built file (tests). */
export function loadSpecialBytes(bytes?: Uint8Array): SpecialBytes | undefined {
  if (wasmOff()) return undefined;
  if (WebAssembly === undefined) return undefined; // node --jitless
  try {
    const code = bytes ?? readFileSync(new URL('./special-bytes.wasm', import.meta.url));
    return new SpecialBytes(new WebAssembly.Instance(new WebAssembly.Module(code)));
  } catch {
    return undefined; // no SIMD, no file, a broken file: the plain scan
  }
}
