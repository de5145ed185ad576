import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { assertEventType, type EventType } from '../events/catalog.js';
import { prepareData, putData, redactText } from '../events/sanitize.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_MODEL,
  ATTR_PROVIDER,
  ATTR_SESSION_ID,
  ATTR_TEXT_LENGTH,
  ATTR_TRANSPORT,
  ATTR_TURN_NUMBER,
  ATTR_VOICE,
  SPAN_RECORDING,
  SPAN_STT,
  SPAN_TTS,
} from '../events/span-attributes.js';
import type { MetricsDeriver } from '../metrics/derive.js';
import { usToHrTime } from '../time/format.js';
import { emitEvent, endSpan, internalError, newNode, parentContext, runInScope, type Core, type Scope, type SpanNode } from './core.js';

/** What describes an operation: low-cardinality labels plus any extra data for its start event. */
export interface OperationInfo {
  provider?: string;
  model?: string;
  voice?: string;
  transport?: string;
  [key: string]: unknown;
}

export interface TtsInput extends OperationInfo {
  /** The text to speak: logged as `message` on TTS_START (as in the spec) and its length on the span. */
  text?: string;
}

export type RecordingInput = OperationInfo;
export type SttInput = OperationInfo;

/** The handle an operation's callback receives. */
export interface Operation {
  readonly span: Span;
  readonly sessionId: string | null;
  readonly turn: number | undefined;
  /** Logs any other event on this operation's span. Throws TypeError only for an invalid type name. */
  event(eventType: EventType, data?: Record<string, unknown>): void;
}

export interface TtsOperation extends Operation {
  /** Marks TTS_FIRST_AUDIO now (only the first call counts). `stream()` does it for you. */
  firstAudio(data?: Record<string, unknown>): void;
  /** Wraps an audio stream: TTS_FIRST_AUDIO is logged when its first chunk arrives. */
  stream<T>(source: AsyncIterable<T>): AsyncIterable<T>;
  playbackStart(data?: Record<string, unknown>): void;
  playbackEnd(data?: Record<string, unknown>): void;
  /** Runs the playback: TTS_PLAYBACK_START before, TTS_PLAYBACK_END after (also when it throws). */
  playback<R>(play: () => R | Promise<R>): Promise<R>;
}

export interface RecordingOperation extends Operation {
  /** Logs RECORDING_SAVED with the file's path. */
  saved(path: string, data?: Record<string, unknown>): void;
  /** Adds fields (e.g. `samples`) to the RECORDING_END event. */
  set(data: Record<string, unknown>): void;
}

export interface SttOperation extends Operation {
  /** Adds fields (e.g. `confidence`) to the STT_COMPLETE / STT_NO_SPEECH event. */
  set(data: Record<string, unknown>): void;
}

/** What an STT callback may return: the transcript, or an object carrying it as `text`. */
export type SttResult = string | { text?: string | null } | null | undefined;

type Kind = 'tts' | 'recording' | 'stt';
const SPAN_NAMES: Record<Kind, string> = { tts: SPAN_TTS, recording: SPAN_RECORDING, stt: SPAN_STT };
const ERROR_EVENTS: Record<Kind, string> = { tts: 'TTS_ERROR', recording: 'RECORDING_ERROR', stt: 'STT_ERROR' };

/** Where an operation runs: its parent (a turn, or nothing for a standalone call) and the scope to run it in. */
export interface OperationPlace {
  parent: SpanNode | undefined;
  sessionId: string | null;
  turn: number | undefined;
  deriver: MetricsDeriver;
  scope: (op: SpanNode) => Scope;
}

class OperationImpl implements TtsOperation, RecordingOperation, SttOperation {
  readonly node: SpanNode;
  private readonly startUs: number;
  private extra: Record<string, unknown> | undefined;
  private firstAudioSeen = false;
  private playbackStarted = false;
  private playbackEnded = false;

  constructor(
    private readonly core: Core,
    readonly kind: Kind,
    place: OperationPlace,
    info: OperationInfo,
  ) {
    this.startUs = core.clock.nowUs();
    const span = core.tracer.startSpan(
      SPAN_NAMES[kind],
      { attributes: spanAttributes(info, place), startTime: usToHrTime(this.startUs) },
      parentContext(place.parent),
    );
    this.node = newNode(span, place.sessionId, place.turn, place.deriver);
  }

  get span(): Span {
    return this.node.span;
  }
  get sessionId(): string | null {
    return this.node.sessionId;
  }
  get turn(): number | undefined {
    return this.node.turn;
  }

  event(eventType: EventType, data?: Record<string, unknown>): void {
    assertEventType(eventType);
    emitEvent(this.core, this.node, eventType, data);
  }

  firstAudio(data?: Record<string, unknown>): void {
    if (this.firstAudioSeen) return;
    this.firstAudioSeen = true;
    emitEvent(this.core, this.node, 'TTS_FIRST_AUDIO', data);
  }

  stream<T>(source: AsyncIterable<T>): AsyncIterable<T> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of source) {
          self.firstAudio();
          yield chunk;
        }
      },
    };
  }

  playbackStart(data?: Record<string, unknown>): void {
    if (this.playbackStarted) return;
    this.playbackStarted = true;
    emitEvent(this.core, this.node, 'TTS_PLAYBACK_START', data);
  }

  playbackEnd(data?: Record<string, unknown>): void {
    if (!this.playbackStarted || this.playbackEnded) return;
    this.playbackEnded = true;
    emitEvent(this.core, this.node, 'TTS_PLAYBACK_END', data);
  }

  async playback<R>(play: () => R | Promise<R>): Promise<R> {
    this.playbackStart();
    try {
      return await play();
    } finally {
      this.playbackEnd();
    }
  }

  saved(path: string, data?: Record<string, unknown>): void {
    emitEvent(this.core, this.node, 'RECORDING_SAVED', { path, ...data });
  }

  set(data: Record<string, unknown>): void {
    this.extra = { ...this.extra, ...data };
  }

  begin(info: OperationInfo): void {
    if (this.kind === 'tts') {
      const text = (info as TtsInput).text;
      emitEvent(this.core, this.node, 'TTS_REQUEST', typeof text === 'string' ? { text_length: text.length } : undefined);
      emitEvent(this.core, this.node, 'TTS_START', ttsStartData(info, text));
    } else if (this.kind === 'recording') {
      emitEvent(this.core, this.node, 'RECORDING_START', info);
    } else {
      emitEvent(this.core, this.node, 'STT_REQUEST');
      emitEvent(this.core, this.node, 'STT_START', info);
    }
  }

  succeed(result: unknown): void {
    if (this.kind === 'recording') {
      const durationS = Math.max(0, this.core.clock.nowUs() - this.startUs) / 1e6;
      emitEvent(this.core, this.node, 'RECORDING_END', { duration_s: durationS, ...this.extra });
    } else if (this.kind === 'stt') {
      const text = transcriptOf(result as SttResult);
      if (text !== undefined && text.trim() !== '') {
        emitEvent(this.core, this.node, 'STT_COMPLETE', { text, text_length: text.length, ...this.extra });
      } else {
        emitEvent(this.core, this.node, 'STT_NO_SPEECH', this.extra);
      }
    }
    this.end();
  }

  fail(err: unknown): void {
    try {
      const type = errorType(err);
      const message = errorMessage(err);
      emitEvent(this.core, this.node, ERROR_EVENTS[this.kind], { error_type: type, error_message: message, ...this.extra });
      this.node.span.setAttribute(ATTR_ERROR_TYPE, type);
      this.node.span.setStatus({ code: SpanStatusCode.ERROR, message: this.core.redact === 'all' ? redactText(message) : message });
    } catch (e) {
      internalError(e);
    }
    this.end();
  }

  private end(): void {
    endSpan(this.core, this.node);
    // Outside a session nothing else ever ends this operation's open starts (no SESSION_END).
    if (this.node.sessionId === null) this.node.deriver.closeSpan(null, this.node.span.spanContext().spanId);
  }

  /** The consumer stopped reading a wrapped stream early: end the span, marked cancelled. */
  cancel(): void {
    try {
      this.node.span.setAttribute('voice.cancelled', true);
    } catch (e) {
      internalError(e);
    }
    this.end();
  }
}

/** TTS_START's data: the text as `message` (as in the spec), first, then the rest of the caller's description. */
function ttsStartData(info: OperationInfo, text: unknown): Record<string, unknown> {
  // `info` is already our own copy (readInfo): one loop instead of a rest copy plus a spread.
  const data: Record<string, unknown> = typeof text === 'string' ? { message: text } : {};
  for (const key of Object.keys(info)) if (key !== 'text') putData(data, key, info[key]);
  return data;
}

function transcriptOf(result: SttResult): string | undefined {
  if (typeof result === 'string') return result;
  if (result && typeof result === 'object' && typeof result.text === 'string') return result.text;
  return undefined;
}

function errorType(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? err.name : err.constructor?.name || 'Error';
  return typeof err;
}

function errorMessage(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return '[unprintable error]';
  }
}

function spanAttributes(info: OperationInfo, place: OperationPlace): Attributes {
  const attrs: Attributes = {};
  if (place.sessionId !== null) attrs[ATTR_SESSION_ID] = place.sessionId;
  if (place.turn !== undefined) attrs[ATTR_TURN_NUMBER] = place.turn;
  if (typeof info.provider === 'string') attrs[ATTR_PROVIDER] = info.provider;
  if (typeof info.model === 'string') attrs[ATTR_MODEL] = info.model;
  if (typeof info.voice === 'string') attrs[ATTR_VOICE] = info.voice;
  if (typeof info.transport === 'string') attrs[ATTR_TRANSPORT] = info.transport;
  if (typeof info.text === 'string') attrs[ATTR_TEXT_LENGTH] = info.text.length;
  return attrs;
}

/** The caller's description, read once; a getter that throws must not take the call down. */
function readInfo(info: OperationInfo | undefined): OperationInfo {
  if (info === undefined || info === null || typeof info !== 'object') return {};
  try {
    return { ...info };
  } catch {
    return prepareData(info) as OperationInfo; // reads what it can, marks the rest "[Unreadable]"
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v != null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * Runs a user's call as an operation span: start events, the call inside our scope, then
 * the end events, or on a throw the *_ERROR event, status ERROR and the original error
 * rethrown unchanged. A callback that returns an async iterable (a streaming TTS) gets the
 * iterable back wrapped: TTS_FIRST_AUDIO on its first chunk, the span ended when it is done.
 */
export function runOperation(core: Core, kind: Kind, place: OperationPlace, info: OperationInfo, fn: (op: never) => unknown): unknown {
  const safeInfo = readInfo(info);
  const op = new OperationImpl(core, kind, place, safeInfo);
  op.begin(safeInfo);
  let result: unknown;
  try {
    result = runInScope(place.scope(op.node), op.node.span, () => fn(op as never));
  } catch (err) {
    op.fail(err);
    return Promise.reject(err);
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
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

function wrapStream<T>(op: OperationImpl, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      let finished = false;
      try {
        for await (const chunk of source) {
          if (op.kind === 'tts') op.firstAudio();
          yield chunk;
        }
        finished = true;
        op.succeed(undefined);
      } catch (err) {
        finished = true;
        op.fail(err);
        throw err;
      } finally {
        if (!finished) op.cancel();
      }
    },
  };
}
