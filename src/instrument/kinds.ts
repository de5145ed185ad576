import type { OperationKind } from '../events/operation-kinds.js';
import type { Core } from './core.js';
import type { OperationBase, OperationPlace } from './operation-base.js';
import { LlmHandle, type LlmInput, type LlmOperation, type LlmResult } from './handles/llm.js';
import { RecordingHandle, type RecordingInput, type RecordingOperation } from './handles/recording.js';
import { SttHandle, type SttInput, type SttOperation, type SttResult } from './handles/stt.js';
import { TtsHandle, type TtsInput, type TtsOperation } from './handles/tts.js';

/**
 * The instrumentation side of the operation kinds (what a kind *is* as data lives in
 * events/operation-kinds.ts): per kind, the method that runs it on a session, a turn and
 * `VoiceEvents`, what its callback receives and may return, and the handle that logs its
 * events. Adding a kind: an entry in each of the two tables here plus its handle in handles/.
 */
export interface OperationTypes {
  tts: { method: 'tts'; input: TtsInput; handle: TtsOperation; result: unknown };
  recording: { method: 'record'; input: RecordingInput; handle: RecordingOperation; result: unknown };
  stt: { method: 'stt'; input: SttInput; handle: SttOperation; result: SttResult };
  llm: { method: 'llm'; input: LlmInput; handle: LlmOperation; result: LlmResult };
}

// A kind of the data table missing here fails to compile: KIND_HANDLES below indexes OperationTypes by every kind.
export type InputOf<K extends OperationKind> = OperationTypes[K]['input'];
export type HandleOf<K extends OperationKind> = OperationTypes[K]['handle'];

interface KindHandle<K extends OperationKind> {
  method: OperationTypes[K]['method'];
  create(core: Core, place: OperationPlace, info: InputOf<K>): OperationBase & HandleOf<K>;
}

export const KIND_HANDLES: { [K in OperationKind]: KindHandle<K> } = {
  tts: { method: 'tts', create: (core, place, info) => new TtsHandle(core, 'tts', place, info) },
  recording: { method: 'record', create: (core, place, info) => new RecordingHandle(core, 'recording', place, info) },
  stt: { method: 'stt', create: (core, place, info) => new SttHandle(core, 'stt', place, info) },
  llm: { method: 'llm', create: (core, place, info) => new LlmHandle(core, 'llm', place, info) },
};

/**
 * How a kind's method is called: with the handle's input and a callback that receives the
 * handle. A callback that returns an async iterable (a streaming TTS, LLM, STT or microphone),
 * or a promise of one (an SDK's `create({ stream: true })`), gets it back wrapped: the operation
 * lasts until the stream is done. Anything else gets a promise of the callback's result.
 */
export interface OperationMethod<K extends OperationKind> {
  <T>(input: InputOf<K>, fn: (op: HandleOf<K>) => AsyncIterable<T>): AsyncIterable<T>;
  <T>(input: InputOf<K>, fn: (op: HandleOf<K>) => Promise<AsyncIterable<T>>): Promise<AsyncIterable<T>>;
  <R extends OperationTypes[K]['result']>(input: InputOf<K>, fn: (op: HandleOf<K>) => R | Promise<R>): Promise<R>;
}

/** `tts(...)`, `record(...)`, `stt(...)`, ...: one method per kind, named by the table. */
export type OperationMethods = { [K in OperationKind as OperationTypes[K]['method']]: OperationMethod<K> };

/** How a host (session, turn, VoiceEvents) runs an operation of any kind. */
export type RunKind<H> = <K extends OperationKind>(host: H, kind: K, input: InputOf<K>, fn: (op: HandleOf<K>) => unknown) => unknown;

/** Defines each kind's method on a host's prototype, all routed to the host's `run`. */
export function installOperationMethods<H>(prototype: H, run: RunKind<H>): void {
  for (const kind of Object.keys(KIND_HANDLES) as OperationKind[]) defineMethod(prototype, kind, run);
}

function defineMethod<H, K extends OperationKind>(prototype: H, kind: K, run: RunKind<H>): void {
  Object.defineProperty(prototype, KIND_HANDLES[kind].method, {
    value: function (this: H, input: InputOf<K>, fn: (op: HandleOf<K>) => unknown): unknown {
      return run(this, kind, input, fn);
    },
    writable: true,
    configurable: true,
  });
}
