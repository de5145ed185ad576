/**
 * Bytes to lines, with a bound on line length. A line longer than `maxLineBytes` is skipped
 * and reported (`onLong`) without being buffered: once the pending part of a line passes the
 * bound, its bytes are dropped as they arrive until its newline. Without the bound a single
 * 600 MiB line (a corrupted or hostile file) was held whole in memory and then failed the
 * command; with pending parts appended to one growing string, time was quadratic in its length.
 *
 * Splitting is on the byte 0x0A, which never occurs inside a multi-byte UTF-8 sequence, so
 * the bytes of whole lines are decoded in one call per chunk (as fast as decoding the chunk).
 * A line's `\r` and byte order mark are the caller's to handle.
 */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

export class LineSplitter {
  /** The start of the current line, from earlier chunks. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Inside a line already known to be too long: dropping bytes until its newline. */
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onLong: () => void,
    readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Feeds one chunk; calls back for each line it completes. */
  push(buf: Buffer): void {
    const first = buf.indexOf(10);
    if (first < 0) {
      this.hold(buf, 0);
      return;
    }
    // the line begun in earlier chunks
    if (this.skipping || this.partBytes + first > this.maxLineBytes) {
      this.skipping = false;
      this.drop();
      this.onLong();
    } else if (this.parts.length > 0) {
      this.parts.push(buf.subarray(0, first));
      const line = Buffer.concat(this.parts).toString('utf8');
      this.drop();
      this.onLine(line);
    } else {
      this.onLine(buf.toString('utf8', 0, first));
    }
    // the lines wholly inside this chunk: decoded at once
    const last = buf.lastIndexOf(10);
    if (last > first) {
      if (last - first - 1 > this.maxLineBytes) {
        // some line may be over the bound: measured by its raw bytes, as the lines across chunks
        // are and as the parse workers measure them (measured decoded, each byte that is not UTF-8
        // grew to 3 and a line under the bound could count as long)
        for (let p = first + 1; p <= last; ) {
          const nl = buf.indexOf(10, p);
          if (nl - p > this.maxLineBytes) this.onLong();
          else this.onLine(buf.toString('utf8', p, nl));
          p = nl + 1;
        }
      } else {
        const text = buf.toString('utf8', first + 1, last);
        let s = 0;
        for (;;) {
          const e = text.indexOf('\n', s);
          this.onLine(e < 0 ? text.slice(s) : text.slice(s, e));
          if (e < 0) break;
          s = e + 1;
        }
      }
    }
    this.hold(buf, last + 1);
  }

  /** End of input: the last line, if it has no newline. */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      this.onLong();
    } else if (this.parts.length > 0) {
      const line = Buffer.concat(this.parts).toString('utf8');
      this.drop();
      this.onLine(line);
    }
  }

  private hold(buf: Buffer, from: number): void {
    if (from >= buf.length || this.skipping) return;
    const n = buf.length - from;
    if (this.partBytes + n > this.maxLineBytes) {
      this.drop();
      this.skipping = true;
      return;
    }
    // a copy: the caller may reuse its buffer
    this.parts.push(Buffer.from(buf.subarray(from)));
    this.partBytes += n;
  }

  private drop(): void {
    this.parts = [];
    this.partBytes = 0;
  }
}
