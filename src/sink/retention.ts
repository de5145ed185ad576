import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Warn } from '../config.js';

/**
 * Retention of the daily (or hourly) files, off by default (keep everything, as the spec does):
 * - `retentionDays` N (VOICEMODE_EVENT_LOG_RETENTION_DAYS, 0 is read as 1): files whose date is
 *   more than N days before today (UTC) are deleted, `.jsonl` and `.jsonl.gz` alike.
 * - `compressAfterDays` M (VOICEMODE_EVENT_LOG_COMPRESS_AFTER_DAYS, >= 1): `.jsonl` files whose
 *   date is more than M days before today are gzipped to `.jsonl.gz` (0600), which the CLI reads
 *   transparently. Today's and yesterday's files are never touched, so a late flush can still append.
 * Only files named `voicemode_events_<date>[T<hour>].jsonl[.gz]` are ever considered.
 */
export interface RetentionPolicy {
  retentionDays?: number | undefined;
  compressAfterDays?: number | undefined;
}

const NAME = /^voicemode_events_(\d{4}-\d{2}-\d{2})(?:T\d{2})?\.jsonl(\.gz)?$/;
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
  for (const name of names.sort()) {
    const m = NAME.exec(name);
    if (!m) continue;
    const ageDays = today - Math.floor(Date.parse(`${m[1]}T00:00:00Z`) / DAY_MS);
    const path = join(dir, name);
    try {
      if (policy.retentionDays !== undefined && ageDays > Math.max(1, policy.retentionDays)) {
        await unlink(path);
        result.deleted.push(name);
      } else if (!m[2] && policy.compressAfterDays !== undefined && ageDays > Math.max(1, policy.compressAfterDays)) {
        const tmp = `${path}.gz.tmp`;
        await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
        await rename(tmp, `${path}.gz`);
        await unlink(path);
        result.compressed.push(name);
      }
    } catch (err) {
      warn?.(`retention could not process ${path}: ${(err as Error).message}`);
    }
  }
  return result;
}

/** Parses a whole number of days >= min from the environment; anything else warns and is ignored. */
export function parseDays(name: string, raw: string | undefined, min: number, warn: Warn): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= min) return n;
  warn(`${name}=${JSON.stringify(raw)} is not a whole number of days >= ${min}; ignored (files are kept)`);
  return undefined;
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
