import { open, type FileHandle } from 'node:fs/promises';
import type { AppendHandle, OpenFile } from '../../src/sink/append-only-file.js';

/** An openFile seam: real file handles with some of their methods replaced (fault injection). */
export function openSeam(replace: (fh: FileHandle) => Partial<AppendHandle>): OpenFile {
  return async (path, flags, mode) => {
    const fh = await open(path, flags, mode);
    return {
      stat: () => fh.stat(),
      writev: (buffers: Buffer[]) => fh.writev(buffers),
      truncate: (len: number) => fh.truncate(len),
      close: () => fh.close(),
      ...replace(fh),
    };
  };
}
