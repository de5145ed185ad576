import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import type { Warn } from '../config.js';

/** The part of a FileHandle the writer uses. */
export interface AppendHandle {
  /**
   * `nlink` 0 means the file was removed while open (a handle kept across chunks must then be
   * reopened); `isFile` and `mode` are checked once per open (only regular files, at most 0600).
   */
  stat(): Promise<{ size: number; nlink?: number; mode?: number; isFile?(): boolean }>;
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  chmod?(mode: number): Promise<void>;
  close(): Promise<void>;
}
export type OpenFile = (path: string, flags: number, mode: number) => Promise<AppendHandle>;

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
/**
 * How log files are opened: append, create 0600, and O_NOFOLLOW (a log file planted as a
 * symlink is refused, not followed: what people said never lands in a file elsewhere) and
 * O_NONBLOCK (opening a FIFO planted under the name fails or returns at once instead of holding
 * a thread-pool thread; it is then refused as not a regular file). O_NONBLOCK does nothing to
 * regular files.
 */
export const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * How an append was made: `checked` right after a stat of its file (fresh open, or another
 * process appends to our files), `unchecked` on the file kept open from the append before,
 * without a stat: `check()` later says whether it reached a file that is still linked.
 */
export type AppendKind = 'checked' | 'unchecked';

export interface AppendOnlyFileOptions {
  /** The folder of the files (created 0700 when missing, again if it vanishes). */
  dir: string;
  /** Told about a folder or file others can read, once each. Must not throw. */
  warn: Warn;
  /** How files are opened (a seam for fault-injection tests). Default fs.promises.open. */
  openFile?: OpenFile | undefined;
}

/**
 * Appending whole chunks of lines to the files of one folder, safely. One file is open at a
 * time; the caller keeps it open across appends (a drain of its queue) and closes it after.
 *
 * Rules it owns:
 * - Only regular files are written: opened O_NOFOLLOW | O_NONBLOCK (a symlink is refused, a
 *   FIFO does not block), then `isFile()` on the descriptor (a FIFO with a reader, a device).
 * - Modes: the folder is created 0700 and files 0600; an existing file others can read is set
 *   to 0600 (fchmod on the open handle: the file we write), an existing folder others can read
 *   is warned about once (we do not change a folder we did not create).
 * - One `writev` per append on an O_APPEND descriptor: other processes appending to the same
 *   file never get their lines inside ours. A partial write continues with the rest.
 * - A failed append leaves no torn line: the file is cut back to its size before the append,
 *   the handle is closed and the folder checked again on the next append (it may have gone).
 * - A file removed while open (`nlink` 0: the folder deleted during a drain) loses nothing:
 *   one stat per open file, not per append. The append right after the open is made after that
 *   stat; later appends to the same open file are `unchecked` and the caller keeps their data
 *   until `check()` (one fstat for any number of them) says the file is still linked, or
 *   writes it again when it was removed (the next append opens a new file in a re-created folder).
 * - The size before an append (for the cut-back and the exit path) is measured by that stat
 *   and then counted from our own appends. Once another process is seen appending to our files
 *   (a stat finds more bytes than we wrote), every append is made after a stat of its own (as
 *   exact as a stat can be with other writers). Before that is seen (between an open and the
 *   next stat), a counted size can be short by another process's bytes: a failed append then
 *   cuts back only the bytes it reports written, and at exit the wait for an append in flight
 *   may end early. A stat before every append narrows, but never closed, the same window.
 * - `appendSync` is the same for the process 'exit' event, where no async I/O can complete.
 */
export class AppendOnlyFile {
  readonly dir: string;
  private readonly warn: Warn;
  private readonly openFile: OpenFile;
  /** The file open now (kept across appends until `close`), and its size after our last append to it. */
  private handle: { path: string; fh: AppendHandle; end: number } | undefined;
  /** Appends since the last check made without a stat right before them. */
  private unchecked = 0;
  /** Set when unchecked appends are found to have gone to a removed file; reported by `check()`. */
  private removedUnchecked = false;
  /** Another process appends to our files: a stat before every append. */
  private shared = false;
  /** Our last file and its size after our last append to it: a different size when it is opened again means another writer. */
  private last: { path: string; end: number } | undefined;
  private dirReady = false;
  private folderModeChecked = false;
  private readonly modeWarned = new Set<string>();

  constructor(options: AppendOnlyFileOptions) {
    this.dir = options.dir;
    this.warn = options.warn;
    this.openFile = options.openFile ?? open;
  }

  /**
   * Appends `buffers` (`length` bytes) to `path`. `started(preSize)` is called with the file's
   * size just before the write is issued (a thread-pool thread may be writing from then on:
   * the exit path needs to know where it began). Rejects, the file cut back, when it fails.
   */
  async append(path: string, buffers: Buffer[], length: number, started?: (preSize: number) => void): Promise<AppendKind> {
    try {
      const kept = this.handle;
      const checked = kept === undefined || kept.path !== path || this.shared;
      const { fh, size } = checked ? await this.openFor(path) : { fh: kept.fh, size: kept.end };
      started?.(size);
      const progress = { done: 0 };
      try {
        await writeAll(fh, buffers, length, progress);
      } catch (err) {
        // Never leave a torn line behind: cut the file back to where this write began.
        await this.cutBack(fh, size, length, progress.done, checked);
        throw err;
      }
      this.handle!.end = size + length;
      this.last = { path, end: size + length };
      if (checked) return 'checked';
      this.unchecked++;
      return 'unchecked';
    } catch (err) {
      this.dirReady = false;
      await this.close();
      throw err;
    }
  }

  /**
   * True when every unchecked append since the last check reached a file that is still linked
   * (one fstat of the open file; nothing to do when there were none). False when the file was
   * removed while open: those appends are lost with it and must be made again (the file is
   * closed; the next append opens a new one). A stat that fails counts as linked.
   */
  async check(): Promise<boolean> {
    await this.settle();
    const ok = !this.removedUnchecked;
    this.removedUnchecked = false;
    return ok;
  }

  /** Closes the file kept open (never throws); a verdict on its unchecked appends is kept for `check()`. */
  async close(): Promise<void> {
    await this.settle();
    const h = this.handle;
    this.handle = undefined;
    await h?.fh.close().catch(() => undefined);
  }

  /** Stats the open file when unchecked appends were made to it: removed, or grown by another writer? */
  private async settle(): Promise<void> {
    const h = this.handle;
    if (this.unchecked === 0 || h === undefined) return;
    this.unchecked = 0;
    let st: { size: number; nlink?: number };
    try {
      st = await h.fh.stat();
    } catch {
      return;
    }
    this.noteSize(h.path, st.size, h.end);
    if (st.nlink !== 0) return;
    this.removedUnchecked = true;
    this.handle = undefined;
    await h.fh.close().catch(() => undefined);
  }

  /** A size beyond what we wrote: another process appends to our files; stat before every append from now on. */
  private noteSize(path: string, size: number, expected: number | undefined): void {
    // Smaller: the file was removed or cut and made again (not another writer's appends).
    if (expected !== undefined && size > expected) this.shared = true;
    if (this.handle?.path === path) this.handle.end = size;
  }

  /**
   * After a failed append: cut the file back to `size`, where it began. When that size was
   * counted rather than measured (an unchecked append) and the file holds more than this append
   * can explain, another process appended since: the cut is then where our `done` bytes begin.
   */
  private async cutBack(fh: AppendHandle, size: number, length: number, done: number, checked: boolean): Promise<void> {
    let to = size;
    if (!checked) {
      const st = await fh.stat().catch(() => undefined);
      if (st !== undefined && st.size - size > length) {
        this.shared = true;
        to = st.size - done;
      }
    }
    await fh.truncate(to).catch(() => undefined);
  }

  /** Appends synchronously (process exit): same flags, folder and regular-file rules. Throws on failure. */
  appendSync(path: string, data: Buffer): void {
    if (data.length === 0) return;
    mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS, FILE_MODE);
    } catch (err) {
      throw refusedOpen(path, err);
    }
    try {
      if (!fstatSync(fd).isFile()) throw notRegular(path);
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    } finally {
      closeSync(fd);
    }
  }

  /** At exit: bytes of an append still running that reached `path` since it had `preSize` bytes (see `writtenSince`). */
  writtenSince(path: string, preSize: number, length: number, waitMs: number): number {
    return writtenSince(path, preSize, length, waitMs);
  }

  /** The open file for `path` and its size now; reopened when the path changed or the file was removed. */
  private async openFor(path: string): Promise<{ fh: AppendHandle; size: number }> {
    for (let attempt = 0; ; attempt++) {
      let fresh = false;
      if (this.handle?.path !== path) {
        await this.close();
        this.handle = { path, fh: await this.open(path), end: 0 };
        fresh = true;
      }
      const st = await this.handle.fh.stat();
      if (fresh) await this.checkOpened(path, this.handle.fh, st);
      this.noteSize(path, st.size, fresh ? (this.last?.path === path ? this.last.end : undefined) : this.handle.end);
      if (st.nlink !== 0 || attempt > 0) return { fh: this.handle.fh, size: st.size };
      await this.close(); // removed while open (folder deleted mid-drain): writing there would lose the lines
    }
  }

  private async open(path: string): Promise<AppendHandle> {
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      this.dirReady = true;
      await this.checkFolderMode();
    }
    try {
      try {
        return await this.openFile(path, OPEN_FLAGS, FILE_MODE);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The folder vanished while we ran: make it again once.
        await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
        return await this.openFile(path, OPEN_FLAGS, FILE_MODE);
      }
    } catch (err) {
      throw refusedOpen(path, err);
    }
  }

  /**
   * A file just opened: only a regular file is written (a FIFO, socket or device under the
   * log's name is refused: the append fails like any other); a pre-existing file others can
   * read is set to 0600 (fchmod on the open handle, so it is the file we write), or warned
   * about once.
   */
  private async checkOpened(path: string, fh: AppendHandle, st: { mode?: number; isFile?(): boolean }): Promise<void> {
    if (st.isFile && !st.isFile()) {
      await this.close();
      throw notRegular(path);
    }
    const mode = st.mode === undefined ? 0 : st.mode & 0o777;
    if ((mode & 0o077) === 0 || this.modeWarned.has(path)) return;
    this.modeWarned.add(path);
    const was = mode.toString(8).padStart(4, '0');
    try {
      if (!fh.chmod) throw new Error('chmod not available');
      await fh.chmod(FILE_MODE);
      this.warn(`event log file ${path} had mode ${was} (other users could read what people said); set it to 0600`);
    } catch (err) {
      this.warn(`event log file ${path} has mode ${was} and could not be set to 0600 (${describeError(err)}): other users can read what people said`);
    }
  }

  /** An existing folder others can read gets one warning: these files hold what people said. */
  private async checkFolderMode(): Promise<void> {
    if (this.folderModeChecked) return;
    this.folderModeChecked = true;
    try {
      const mode = (await stat(this.dir)).mode & 0o777;
      if (mode & 0o077) {
        this.warn(
          `event log folder ${this.dir} has mode ${mode.toString(8).padStart(4, '0')}: other users can read what people said; ` +
            `run chmod 700 ${this.dir}`,
        );
      }
    } catch {
      // the write that follows reports any real problem
    }
  }
}

/** Writes all of `buffers` (`length` bytes) through `writev`, continuing after a partial write. */
async function writeAll(fh: AppendHandle, buffers: Buffer[], length: number, progress: { done: number }): Promise<void> {
  let done = (await fh.writev(buffers)).bytesWritten;
  progress.done = done;
  while (done < length) {
    const rest: Buffer[] = [];
    let skip = done;
    for (const b of buffers) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    const n = (await fh.writev(rest)).bytesWritten;
    if (n <= 0) throw new Error(`write made no progress (${done} of ${length} bytes written)`);
    done += n;
    progress.done = done;
  }
}

/**
 * Bytes of an append of `length` bytes that reached `path` since it had `preSize` bytes, waiting
 * (synchronously, at most `waitMs`) for all of them: at exit, an append already handed to the
 * thread pool keeps running while the 'exit' handler does, and what it writes must not be
 * written twice.
 */
export function writtenSince(path: string, preSize: number, length: number, waitMs: number): number {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + waitMs;
  for (;;) {
    let done = 0;
    try {
      done = Math.min(Math.max(statSync(path).size - preSize, 0), length);
    } catch {
      return 0;
    }
    if (done >= length || Date.now() >= until) return done;
    Atomics.wait(sleeper, 0, 0, 2); // a synchronous 2 ms sleep: 'exit' handlers cannot await
  }
}

/** An error naming why a log file was refused (symlink, not a regular file), with its errno code. */
function refusedOpen(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ELOOP') return Object.assign(new Error(`${path} is a symbolic link; it is not followed`), { code });
  if (code === 'ENXIO') return notRegular(path); // a FIFO without a reader (O_NONBLOCK), a socket
  return err;
}

function notRegular(path: string): Error {
  return new Error(`${path} is not a regular file; nothing is written to it`);
}

/** An error as a warning shows it: its errno code and message. */
export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String(e?.message ?? err);
}

/** Undefined when the path is (or can be made) a folder for the logs, else why not (the demo's early warning). */
export async function probeDir(dir: string): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const s = await stat(dir);
    if (!s.isDirectory()) return `${dir} is not a folder`;
    return undefined;
  } catch (err) {
    return `cannot use ${dir}: ${describeError(err)}`;
  }
}
