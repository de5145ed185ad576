import type { OperationKind } from '../events/operation-kinds.js';
import { internalError, readData, runInScope, type Core } from './core.js';
import { WATCHED_STREAM, watchStream, type OperationBase, type OperationPlace, type StreamWatch } from './operation-base.js';
import { KIND_HANDLES, type HandleOf, type InputOf } from './kinds.js';

/**
 * Runs a user's call as an operation span of its kind: the start events, the call inside our
 * scope, then the closing events; on a throw the kind's *_ERROR event, status ERROR and the
 * original error rethrown unchanged. A callback that returns an async iterable (a streaming
 * TTS or LLM) gets the iterable back wrapped: each chunk passes the handle (first audio,
 * first token), and the span ends when the stream is done.
 */
export function runOperation<K extends OperationKind>(
  core: Core,
  kind: K,
  place: OperationPlace,
  info: InputOf<K>,
  fn: (op: HandleOf<K>) => unknown,
): unknown {
  const safeInfo = readData(info);
  const op = KIND_HANDLES[kind].create(core, place, safeInfo);
  try {
    op.begin(safeInfo);
  } catch (err) {
    internalError(core, err); // a broken span (the app's tracer): the app's call still runs
  }
  let result: unknown;
  try {
    result = runInScope(place.scope(op.node), op.node.span, () => fn(op));
  } catch (err) {
    op.fail(err);
    return Promise.reject(err);
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        // A promise of a stream (an SDK's `create({ stream: true })`): the operation lasts as long as the stream.
        if (isAsyncIterable(value)) return wrapStream(op, value);
        op.succeed(value);
        return value;
      },
      (err: unknown) => {
        op.fail(err);
        throw err;
      },
    );
  }
  if (isAsyncIterable(result)) return wrapStream(op, result);
  op.succeed(result);
  return result === undefined ? RESOLVED : Promise.resolve(result);
}

/** What a synchronous callback without a result gets back: one settled promise, shared (promises are immutable). */
const RESOLVED: Promise<undefined> = Promise.resolve(undefined);

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v != null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function wrapStream<T>(op: OperationBase, source: AsyncIterable<T>): AsyncIterable<T> {
  // The handle's own op.stream() reports its chunks already.
  const watched = (source as { [WATCHED_STREAM]?: boolean })[WATCHED_STREAM] === true;
  return watchStream<T>(source, new OperationStreamWatch(op, !watched));
}

/** A stream the callback returned: the operation lasts as long as it (a class: one object per stream, monomorphic calls per chunk). */
class OperationStreamWatch implements StreamWatch<unknown> {
  constructor(
    private readonly op: OperationBase,
    private readonly reportChunks: boolean,
  ) {}
  chunk(chunk: unknown): void {
    if (this.reportChunks) this.op.onChunk(chunk);
  }
  end(): void {
    this.op.succeed(this.op.streamResult());
  }
  error(err: unknown): void {
    this.op.fail(err);
  }
  stop(): void {
    this.op.cancel();
  }
}
