/** Messages between the compact reader (read-events.ts) and its worker (parse-worker.ts). */
export interface WorkerInput {
  path: string;
  gz: boolean;
  file: number;
  chunkBytes: number;
  maxInFlight: number;
}

/** Ints per event: type, session (-1 null), turn (-1 none), span (-1 none), labels (-1 none), line. */
export const STRIDE = 6;

export type WorkerMessage =
  | { kind: 'batch'; ts: Float64Array; ints: Int32Array; n: number; strings: string[]; skipped: number[]; bytes: number }
  | { kind: 'end'; bytes: number }
  | { kind: 'error'; message: string };

