import { join } from 'node:path';
import type { Rotation } from '../config.js';
import type { EventRecord } from '../events/record.js';
import { LineEncoder } from './line-format.js';
import { logFileName } from './log-file-name.js';

/** Whole lines of one file, ready to be appended. */
export interface Chunk {
  path: string;
  data: Buffer;
  lines: number;
}

/** Lines are encoded into buffers of this size (a bigger one for a line that does not fit). */
export const CHUNK_BYTES = 64 * 1024;

/**
 * Records to chunks: each record becomes one line (`LineEncoder`, with its caches of what
 * repeats from line to line) in the chunk being built for the record's file. A chunk is sealed
 * (handed to `onSealed`) when it is full, when a line belongs to another file (the hour or day
 * changed), or when `seal()` is called.
 *
 * Rules it owns:
 * - A chunk holds only whole lines of one file: it can be written (or cut back) as one piece.
 * - A record that cannot be formatted (an invalid time: not possible through the API) throws
 *   from `append` and leaves nothing behind: the chunk is as it was.
 * - Memory: a chunk sealed less than 90% full (a trickle of events, the end of a burst) is
 *   copied out and its buffer reused, so the memory sealed chunks hold stays within ~10% of
 *   their byte count (what the write queue's memory bound counts).
 * - The file name is computed once per UTC hour (every daily and hourly name is within one hour).
 */
export class ChunkEncoder {
  private readonly lines = new LineEncoder();
  /** File path of the last UTC hour seen. */
  private pathHour = Number.NaN;
  private pathOfHour = '';
  private building: { path: string; buf: Buffer; len: number; lines: number } | undefined;

  constructor(
    private readonly dir: string,
    private readonly rotation: Rotation,
    private readonly onSealed: (chunk: Chunk) => void,
  ) {}

  /** Bytes in the chunk being built (not yet sealed). */
  get buildingBytes(): number {
    return this.building?.len ?? 0;
  }

  /** Encodes one line into the chunk being built for its file; returns the bytes added. Throws for a record that cannot be formatted. */
  append(r: EventRecord): number {
    const path = this.pathFor(r.timestampUs);
    let b = this.building;
    if (b !== undefined && b.path !== path) {
      this.seal(); // a line for another file (the hour or day changed)
      b = this.building;
      if (b !== undefined) b.path = path; // emptied and kept for reuse
    }
    if (b === undefined) b = this.building = { path, buf: Buffer.allocUnsafe(CHUNK_BYTES), len: 0, lines: 0 };
    let end = this.lines.encode(r, b.buf, b.len);
    if (end < 0) {
      // Full (or one very long line): seal what it holds, continue in a new buffer.
      this.seal();
      b = this.building = { path, buf: Buffer.allocUnsafe(Math.max(CHUNK_BYTES, -end)), len: 0, lines: 0 };
      end = this.lines.encode(r, b.buf, 0);
    }
    const added = end - b.len;
    b.len = end;
    b.lines++;
    return added;
  }

  /** Hands the chunk being built to `onSealed` (nothing when it is empty). */
  seal(): void {
    const b = this.building;
    if (b === undefined || b.len === 0) return;
    const chunk: Chunk = { path: b.path, data: b.buf.subarray(0, b.len), lines: b.lines };
    if (b.len < b.buf.length * 0.9) {
      chunk.data = Buffer.from(chunk.data);
      b.len = 0;
      b.lines = 0;
    } else this.building = undefined;
    this.onSealed(chunk);
  }

  /** The record's file: computed once per UTC hour. */
  private pathFor(us: number): string {
    const hour = Math.floor(us / 3_600_000_000);
    if (hour !== this.pathHour) {
      const path = join(this.dir, logFileName(hour * 3_600_000_000, this.rotation)); // throws on an invalid time
      this.pathHour = hour;
      this.pathOfHour = path;
    }
    return this.pathOfHour;
  }
}
