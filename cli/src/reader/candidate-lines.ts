import type { LinePrefilter } from './line-prefilter.js';

/**
 * Bytes to the lines that can match a filter, for the selective commands (`timeline
 * --session`, `query --type/--session/--where`). Instead of decoding and splitting every
 * line (LineSplitter), each chunk is searched for the prefilter's anchors with
 * `Buffer.indexOf` (native); only the line around a hit is decoded and tested in full
 * (`LinePrefilter.matches`), and only a line that passes goes to `onLine`. What lies between
 * hits is never looked at by JavaScript: that is what brings these commands near `grep -F`.
 *
 * Lines are not counted (counting them would mean visiting every byte): the reader gives
 * such events no line number, and reports no malformed line it did not look at
 * (ReadOptions.prefilter). Over-long lines (> maxLineBytes) that are looked at are reported to
 * `onLong` as by LineSplitter; a partial line longer than the bound is dropped as it arrives.
 */
export class CandidateLines {
  /** The start of the current line, from earlier chunks. */
  private carry: Buffer | undefined;
  /** Inside a line already known to be too long: dropping bytes until its newline. */
  private skipping = false;
  private readonly next: number[];

  constructor(
    private readonly prefilter: LinePrefilter,
    private readonly onLine: (line: string) => void,
    private readonly onLong: () => void,
    private readonly maxLineBytes: number,
  ) {
    this.next = prefilter.anchors.map(() => -1);
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.skipping || this.carry !== undefined) {
      // the line begun in earlier chunks ends at the first newline (copying it, not the chunk)
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        if (!this.skipping) this.hold(Buffer.concat([this.carry!, chunk]));
        return;
      }
      if (this.skipping) {
        this.skipping = false;
        this.onLong();
      } else {
        const line = Buffer.concat([this.carry!, chunk.subarray(0, nl)]);
        this.carry = undefined;
        this.take(line, 0, line.length);
      }
      buf = chunk.subarray(nl + 1);
    }
    const last = buf.lastIndexOf(10);
    if (last >= 0) this.scan(buf, last);
    this.hold(buf.subarray(last + 1));
  }

  /** End of input: the last line, if it has no newline. */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      this.onLong();
    } else if (this.carry !== undefined) {
      const line = this.carry;
      this.carry = undefined;
      this.take(line, 0, line.length);
    }
  }

  /** The complete lines of buf[0, end) (`end` is the position of a newline). */
  private scan(buf: Buffer, end: number): void {
    const anchors = this.prefilter.anchors;
    const next = this.next;
    next.fill(-1);
    let pos = 0;
    while (pos < end) {
      // the first anchor at or after pos
      let hit = end;
      for (let k = 0; k < anchors.length; k++) {
        let p = next[k]!;
        if (p < pos) {
          p = buf.indexOf(anchors[k]!, pos);
          next[k] = p = p < 0 || p > end ? end : p;
        }
        if (p < hit) hit = p;
      }
      if (hit >= end) break;
      const start = buf.lastIndexOf(10, hit) + 1;
      let stop = buf.indexOf(10, hit);
      if (stop < 0 || stop > end) stop = end;
      this.take(buf, start, stop);
      pos = stop + 1;
    }
  }

  private take(buf: Buffer, start: number, stop: number): void {
    if (stop - start > this.maxLineBytes) {
      this.onLong();
      return;
    }
    const line = buf.toString('utf8', start, stop);
    if (this.prefilter.matches(line)) this.onLine(line);
  }

  private hold(rest: Buffer): void {
    this.carry = undefined;
    if (rest.length === 0) return;
    if (rest.length > this.maxLineBytes) {
      this.skipping = true;
      return;
    }
    // a copy: the rest of a 1 MiB chunk must not keep the whole chunk alive
    this.carry = Buffer.from(rest);
  }
}
