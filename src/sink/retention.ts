import { constants } from 'node:fs';
import { link, lstat, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Warn } from '../config.js';
import { fileKind, READ_FLAGS } from '../fs/regular-file.js';
import { parseLogFileName } from './log-file-name.js';

/**
 * Retention of the daily (or hourly) files, off by default (keep everything, as the spec does):
 * - `retentionDays` N (VOICEMODE_EVENT_LOG_RETENTION_DAYS, 0 is read as 1): files whose date is
 *   more than N days before today (UTC) are deleted, `.jsonl` and `.jsonl.gz` alike.
 * - `compressAfterDays` M (VOICEMODE_EVENT_LOG_COMPRESS_AFTER_DAYS, >= 1): `.jsonl` files whose
 *   date is more than M days before today are gzipped to `.jsonl.gz` (0600), which the CLI reads
 *   transparently. Today's and yesterday's files are never touched, so a late flush can still append.
 * Only files named `voicemode_events_<date>[T<hour>].jsonl[.gz]` are ever considered, and only
 * regular files (checked with lstat, and again with fstat on the descriptor opened with
 * O_NOFOLLOW | O_NONBLOCK): a symlink, FIFO or device named like a log is skipped with a
 * warning, never followed, read, compressed or deleted.
 *
 * What is never touched, whatever the clock says:
 * - the file the writer is writing (`today` by the writer's own clock: `writerNowMs`, and the
 *   day before), even when `Date.now()` is days ahead of it (a clock step, a laptop resumed);
 * - a file modified in the last hour (`RECENT_MS`): some process still appends to it;
 * - an existing `.gz`: the compressed file is linked into place (link() fails if the name
 *   exists) rather than renamed over it, and the temporary file is created with O_EXCL |
 *   O_NOFOLLOW, so a planted `.gz.tmp` symlink is never followed.
 */
export interface RetentionPolicy {
  retentionDays?: number | undefined;
  compressAfterDays?: number | undefined;
  /** The writer's notion of now (its clock), in ms since the epoch; default: the `nowMs` of the run. */
  writerNowMs?: (() => number) | undefined;
}

/** A file modified this recently is in use (by this or another process) and is left alone. */
const RECENT_MS = 3_600_000;

const DAY_MS = 86_400_000;

export interface RetentionResult {
  deleted: string[];
  compressed: string[];
}

export async function applyRetention(dir: string, policy: RetentionPolicy, nowMs = Date.now(), warn?: Warn): Promise<RetentionResult> {
  const result: RetentionResult = { deleted: [], compressed: [] };
  if (policy.retentionDays === undefined && policy.compressAfterDays === undefined) return result;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return result; // no folder yet: nothing to keep or drop
  }
  const today = Math.floor(nowMs / DAY_MS);
  // the writer's today (and yesterday) are live whatever Date.now() says
  const writerToday = Math.floor((policy.writerNowMs?.() ?? nowMs) / DAY_MS);
  for (const name of names.sort()) {
    const parts = parseLogFileName(name);
    if (parts?.date === undefined) continue; // only dated names (daily, hourly): never the undated or another writer's file
    const day = Math.floor(Date.parse(`${parts.date}T00:00:00Z`) / DAY_MS);
    const ageDays = today - day;
    if (day >= writerToday - 1) continue;
    const path = join(dir, name);
    const expire = policy.retentionDays !== undefined && ageDays > Math.max(1, policy.retentionDays);
    const compress = !expire && !parts.gz && policy.compressAfterDays !== undefined && ageDays > Math.max(1, policy.compressAfterDays);
    if (!expire && !compress) continue;
    try {
      const st = await lstat(path);
      if (!st.isFile()) {
        warn?.(`retention skipped ${path}: ${fileKind(st)}, not a regular file`);
        continue;
      }
      if (nowMs - st.mtimeMs < RECENT_MS) continue; // still being written
      if (expire) {
        await unlink(path);
        result.deleted.push(name);
      } else if (await compressFile(path, warn)) {
        result.compressed.push(name);
      }
    } catch (err) {
      warn?.(`retention could not process ${path}: ${(err as Error).message}`);
    }
  }
  return result;
}

/**
 * Gzips `path` to `path.gz` (0600) and removes `path`. Never follows a symlink (source opened
 * O_NOFOLLOW and checked with fstat, temporary created O_EXCL | O_NOFOLLOW), never replaces an
 * existing `.gz` (link, not rename). Returns false, with a warning, when it did nothing.
 */
async function compressFile(path: string, warn: Warn | undefined): Promise<boolean> {
  const gz = `${path}.gz`;
  const tmp = `${gz}.tmp`;
  const src = await open(path, READ_FLAGS | constants.O_NOFOLLOW);
  let streaming = false; // from then on the streams close the handles
  try {
    const st = await src.stat();
    if (!st.isFile()) {
      warn?.(`retention skipped ${path}: ${fileKind(st)}, not a regular file`);
      return false;
    }
    const dst = await createExclusive(tmp, path, warn);
    if (dst === undefined) return false;
    streaming = true;
    await pipeline(src.createReadStream(), createGzip(), dst.createWriteStream());
  } finally {
    if (!streaming) await src.close();
  }
  try {
    await link(tmp, gz);
  } catch (err) {
    await unlink(tmp);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      warn?.(`retention left ${path} as it is: ${gz} already exists`);
      return false;
    }
    throw err;
  }
  await unlink(tmp);
  await unlink(path);
  return true;
}

/** Creates the temporary file (0600, O_EXCL | O_NOFOLLOW); a regular leftover of a killed run is replaced. */
async function createExclusive(tmp: string, path: string, warn: Warn | undefined) {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return await open(tmp, flags, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const t = await lstat(tmp);
  if (!t.isFile()) {
    warn?.(`retention skipped ${path}: ${tmp} exists and is ${fileKind(t)}`);
    return undefined;
  }
  await unlink(tmp);
  return open(tmp, flags, 0o600);
}

/** Runs the policy now and then every hour until stopped. The timer never keeps the process alive. */
export function scheduleRetention(dir: string, policy: RetentionPolicy, warn: Warn, everyMs = 3_600_000): () => void {
  if (policy.retentionDays === undefined && policy.compressAfterDays === undefined) return () => undefined;
  const run = () => void applyRetention(dir, policy, Date.now(), warn).catch(() => undefined);
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
