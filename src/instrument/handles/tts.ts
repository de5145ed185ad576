import type { Attributes } from '@opentelemetry/api';
import type { OperationFigures } from '../../events/operation-bus.js';
import { putData } from '../../events/own-keys.js';
import type { RedactMode } from '../../events/sanitize.js';
import {
  ATTR_GEN_AI_VOICE,
  ATTR_INTERRUPTED,
  ATTR_TEXT_LENGTH,
  ATTR_TTS_AUDIO_S,
  ATTR_VOICE,
} from '../../events/span-attributes.js';
import { internalError, readData, safeOwnData } from '../core.js';
import { ChunkWatch, OperationBase, ownWatchedStream, removeItem, type Interruptible, type Operation, type OperationInfo, type StreamWatch } from '../operation-base.js';

export interface TtsInput extends OperationInfo {
  /** The text to speak: logged as `message` on TTS_START (as in the spec) and its length on the span. */
  text?: string;
}

export interface TtsStreamOptions {
  /**
   * The chunks are played as they arrive (`player.write(chunk)` in the loop): the first chunk
   * also marks TTS_PLAYBACK_START and the end of the stream TTS_PLAYBACK_END. Leave it off when
   * the audio is played later (then mark playback with `playback()`).
   */
  playback?: boolean;
}

export interface TtsOperation extends Operation {
  /** Marks TTS_FIRST_AUDIO now (only the first call counts). `stream()` does it for you. */
  firstAudio(data?: Record<string, unknown>): void;
  /** Wraps an audio stream: TTS_FIRST_AUDIO when its first chunk arrives (and playback, with `{ playback: true }`). */
  stream<T>(source: AsyncIterable<T>, options?: TtsStreamOptions): AsyncIterable<T>;
  playbackStart(data?: Record<string, unknown>): void;
  playbackEnd(data?: Record<string, unknown>): void;
  /** Runs the playback: TTS_PLAYBACK_START before, TTS_PLAYBACK_END after (also when it throws). */
  playback<R>(play: () => R | Promise<R>): Promise<R>;
  /**
   * A barge-in: the user spoke over the assistant. Logs TTS_INTERRUPTED with `played_s` (audio
   * already heard) and ends the playback (TTS_PLAYBACK_END `interrupted: true`). Stopping the
   * audio is the app's; this only records it. Later calls, and calls after the operation ended, do nothing.
   */
  interrupt(data?: Record<string, unknown>): void;
  /** Audio made so far, for the usage metrics: `{ seconds }`, or `{ bytes, sample_rate, channels?, bytes_per_sample? }` (PCM; default mono 16-bit). Adds up. */
  audio(audio: TtsAudio): void;
}

export type TtsAudio = { seconds: number } | { bytes: number; sample_rate: number; channels?: number; bytes_per_sample?: number };

/** TTS: TTS_REQUEST + TTS_START at the start; first audio and playback marked by the callback. */
export class TtsHandle extends OperationBase implements TtsOperation, Interruptible {
  private firstAudioSeen = false;
  private playbackStarted = false;
  private playbackEnded = false;
  private playbackStartUs = 0;
  private cut = false;
  private characters: number | undefined;
  private audioS: number | undefined;

  get playing(): boolean {
    return this.playbackStarted && !this.playbackEnded;
  }

  get interrupted(): boolean {
    return this.cut;
  }

  protected override addSpanAttributes(info: TtsInput, attrs: Attributes): void {
    if (typeof info.voice === 'string') {
      attrs[ATTR_VOICE] = info.voice;
      attrs[ATTR_GEN_AI_VOICE] = info.voice;
    }
    if (typeof info.text === 'string') attrs[ATTR_TEXT_LENGTH] = info.text.length;
  }

  begin(info: TtsInput): void {
    this.place.shared.tts.push(this);
    const text = info.text;
    const hasText = typeof text === 'string';
    this.emitStartPrepared('TTS_REQUEST', hasText ? { text_length: text.length } : undefined); // a number: nothing to sanitise
    if (hasText) this.characters = text.length;
    this.emitStartPrepared('TTS_START', ttsStartData(info, this.core.redact));
  }

  protected complete(): void {}

  protected override onEnd(): void {
    removeItem(this.place.shared.tts, this);
    // (The characters are on the span from its start, as voice.text_length.)
    if (this.audioS !== undefined) this.node.span.setAttribute(ATTR_TTS_AUDIO_S, this.audioS);
  }

  protected override figures(): OperationFigures {
    return { characters: this.characters, audioS: this.audioS, interrupted: this.cut };
  }

  interrupt(data?: Record<string, unknown>): void {
    if (this.cut || this.node.ended) return;
    this.cut = true;
    const nowUs = this.core.clock.nowUs();
    const playedS = this.playbackStarted && !this.playbackEnded ? Math.max(0, nowUs - this.playbackStartUs) / 1e6 : 0;
    this.emit('TTS_INTERRUPTED', { played_s: playedS, ...readData(data) });
    if (this.playbackStarted && !this.playbackEnded) {
      this.playbackEnded = true;
      this.emit('TTS_PLAYBACK_END', { interrupted: true });
    }
    try {
      this.node.span.setAttribute(ATTR_INTERRUPTED, true);
    } catch (err) {
      internalError(this.core, err); // a broken span: the interruption is still logged and counted
    }
    if (this.place.turnState) this.place.turnState.interrupted = true;
  }

  audio(audio: TtsAudio): void {
    const a = readData(audio) as Partial<{ seconds: unknown; bytes: unknown; sample_rate: unknown; channels: unknown; bytes_per_sample: unknown }>;
    let seconds: number | undefined;
    if (typeof a.seconds === 'number') seconds = a.seconds;
    else if (typeof a.bytes === 'number' && typeof a.sample_rate === 'number' && a.sample_rate > 0) {
      const channels = typeof a.channels === 'number' && a.channels > 0 ? a.channels : 1;
      const width = typeof a.bytes_per_sample === 'number' && a.bytes_per_sample > 0 ? a.bytes_per_sample : 2;
      seconds = a.bytes / (a.sample_rate * channels * width);
    }
    if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) this.audioS = (this.audioS ?? 0) + seconds;
  }

  override onChunk(): void {
    if (!this.firstAudioSeen) this.firstAudio();
  }

  firstAudio(data?: Record<string, unknown>): void {
    if (this.firstAudioSeen) return;
    this.firstAudioSeen = true;
    this.emit('TTS_FIRST_AUDIO', data);
  }

  stream<T>(source: AsyncIterable<T>, options?: TtsStreamOptions): AsyncIterable<T> {
    return ownWatchedStream<T>(source, options?.playback === true ? new PlaybackWatch(this) : new ChunkWatch(this));
  }

  playbackStart(data?: Record<string, unknown>): void {
    if (this.playbackStarted || this.cut) return;
    this.playbackStarted = true;
    this.playbackStartUs = this.emit('TTS_PLAYBACK_START', data);
  }

  playbackEnd(data?: Record<string, unknown>): void {
    if (!this.playbackStarted || this.playbackEnded) return;
    this.playbackEnded = true;
    this.emit('TTS_PLAYBACK_END', data);
  }

  async playback<R>(play: () => R | Promise<R>): Promise<R> {
    this.playbackStart();
    try {
      return await play();
    } finally {
      this.playbackEnd();
    }
  }
}

/**
 * `op.stream(source, { playback: true })`: the first chunk marks the first audio and the
 * playback start, the stream's end (however it ends) the playback end.
 */
class PlaybackWatch implements StreamWatch<unknown> {
  private first = true;
  constructor(private readonly op: TtsHandle) {}
  chunk(): void {
    // After the first chunk both marks are settled for good (the first audio is seen; the
    // playback started, or was cut short before it could): later chunks have nothing to mark.
    if (!this.first) return;
    this.first = false;
    this.op.firstAudio();
    this.op.playbackStart();
  }
  end(): void {
    this.op.playbackEnd();
  }
  error(): void {
    this.op.playbackEnd();
  }
  stop(): void {
    this.op.playbackEnd();
  }
}

/**
 * TTS_START's data: the text as `message` (as in the spec), first, then the rest of the
 * description in its order, and the characters billed (the text's length). Built as the
 * package's own object and made safe in place (`prepareOwnData`, never throwing): one object, not built and
 * then copied again (test/tts-start-data.test.ts: the same as the copy, in every redaction mode).
 */
export function ttsStartData(info: TtsInput, mode: RedactMode): Record<string, unknown> {
  const text = info.text;
  const data: Record<string, unknown> = typeof text === 'string' ? { message: text } : {};
  for (const key of Object.keys(info)) if (key !== 'text') putData(data, key, info[key]);
  if (typeof text === 'string') data.characters = text.length;
  return safeOwnData(data, mode);
}
