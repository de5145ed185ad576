import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { defaultReadDirs, describeOpenError, type Env, fileKind, isLogFileName, logFileSortKey, NotRegularFileError, openRegular, processEnv, resolveConfig } from 'voicemode-events/internal';
import { DataError, UsageError } from './errors.js';

/** One input file of a run. */
export interface SourceFile {
  path: string;
  /** gzip-compressed (by its magic bytes, whatever its name). */
  gz: boolean;
  /** Size on disk in bytes (compressed size for .gz), for the progress bar. */
  size: number;
}

/** Sort key: the date (and hour) in the name, so files are read in date order; undated files first. */
function dateKey(path: string): string {
  return logFileSortKey(basename(path));
}

/** Size and gzip magic of a regular file (throws NotRegularFileError for anything else, without blocking). */
async function probe(path: string): Promise<{ gz: boolean; size: number }> {
  const { fh, size } = await openRegular(path);
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return { gz: bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b, size };
  } finally {
    await fh.close();
  }
}

/**
 * The folders to read when the user gives no path: $VOICEMODE_EVENT_LOG_DIR, else those of
 * ~/voicemode_logs (the spec's) and ~/.voicemode/logs/events (voicemode's) that exist — the ones
 * holding logs when at least one does. Throws a UsageError naming both when neither exists.
 */
export async function defaultInputs(env: Env = processEnv()): Promise<string[]> {
  const { dirs, fromEnv } = defaultReadDirs(env);
  if (fromEnv) return dirs;
  const existing: string[] = [];
  const withLogs: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      if (!(await stat(dir)).isDirectory()) continue;
      names = await readdir(dir);
    } catch {
      continue;
    }
    existing.push(dir);
    if (names.some((n) => isLogFileName(n))) withLogs.push(dir);
  }
  if (existing.length === 0) throw new UsageError(`no log folder: neither ${dirs.join(' nor ')} exists (give a path, or set VOICEMODE_EVENT_LOG_DIR)`);
  return withLogs.length > 0 ? withLogs : existing;
}

/**
 * Files and folders to the list of log files, in date order. No path means the configured
 * log folder ($VOICEMODE_EVENT_LOG_DIR or ~/voicemode_logs). A folder contributes its
 * `voicemode_events*.jsonl[.gz]` files (not sub-folders); a file is taken whatever its name.
 * A missing path is a usage error; a folder without logs is a data error. Only regular files
 * are read: a FIFO, socket or device named like a log file in a folder is skipped with one
 * warning each (opening a FIFO would hang the command); named on the command line, it is a
 * usage error. An unreadable file or folder is "permission denied" with its path.
 */
export async function discoverFiles(
  paths: readonly string[],
  env: Env = processEnv(),
  warn: (message: string) => void = () => undefined,
): Promise<SourceFile[]> {
  const inputs = paths.length > 0 ? paths.map((p) => resolve(p)) : [resolveConfig({}, env).dir];
  const seen = new Set<string>();
  const found: SourceFile[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = await stat(input);
    } catch (err) {
      // a path that is not there is the command line's fault; one we may not read is the data's
      const code = (err as NodeJS.ErrnoException).code;
      throw code === 'ENOENT' || code === 'ENOTDIR' ? new UsageError(describeOpenError(input, err)) : new DataError(describeOpenError(input, err));
    }
    const candidates: string[] = [];
    if (st.isDirectory()) {
      let all: string[];
      try {
        all = await readdir(input);
      } catch (err) {
        throw new DataError(describeOpenError(input, err));
      }
      const names = all.filter((n) => isLogFileName(n));
      if (names.length === 0) throw new DataError(`no event logs (voicemode_events*.jsonl or .jsonl.gz) in ${input}`);
      for (const n of names) candidates.push(join(input, n));
    } else if (st.isFile()) {
      candidates.push(input);
    } else {
      throw new UsageError(`not a file or folder: ${input} (${fileKind(st)})`);
    }
    for (const path of candidates) {
      if (seen.has(path)) continue;
      seen.add(path);
      try {
        const { gz, size } = await probe(path);
        found.push({ path, gz, size });
      } catch (err) {
        if (err instanceof NotRegularFileError) {
          warn(err.message);
          continue;
        }
        throw new DataError(describeOpenError(path, err));
      }
    }
  }
  return found.sort((a, b) => {
    const ka = dateKey(a.path);
    const kb = dateKey(b.path);
    return ka < kb ? -1 : ka > kb ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  });
}
