import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opening a log file for reading without ever blocking on a special file. A FIFO, socket or
 * device named like a log file would hang `open()` (a FIFO waits for a writer) or a read, and
 * with it the command (or, in retention, a libuv thread for good). So files are opened with
 * O_NONBLOCK (no effect on a regular file) and checked with fstat on the open descriptor (no
 * race between the check and the read); only regular files are used.
 */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
/** The same for `createReadStream`, whose types say string though fs.open takes the number. */
export const STREAM_READ_FLAGS = READ_FLAGS as unknown as string;

/** The path names something other than a regular file (a FIFO, socket, device, folder). */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is not a regular file (${kind}); skipped`);
  }
}

/** What a non-regular file is, for messages. */
export function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a special file';
}

/** Opens `path` for reading if it is a regular file; throws NotRegularFileError otherwise. */
export async function openRegular(path: string, extraFlags = 0): Promise<{ fh: FileHandle; size: number }> {
  const fh = await open(path, READ_FLAGS | extraFlags);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, fileKind(st));
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** `EACCES`/`EPERM` and friends as words a user understands, with the path. */
export function describeOpenError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${path}`;
  if (code === 'ENOENT') return `no such file or folder: ${path}`;
  if (code === 'ENOTDIR') return `no such file or folder: ${path} (a part of the path is a file)`;
  if (code === 'ELOOP') return `${path} is a symbolic link loop`;
  return `cannot read ${path}: ${(err as Error)?.message ?? String(err)}`;
}
