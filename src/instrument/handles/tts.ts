import type { Attributes } from '@opentelemetry/api';
import { putData } from '../../events/sanitize.js';
import { ATTR_GEN_AI_VOICE, ATTR_TEXT_LENGTH, ATTR_VOICE } from '../../events/span-attributes.js';
import { OperationBase, type Operation, type OperationInfo } from '../operation-base.js';

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
}

/** TTS: TTS_REQUEST + TTS_START at the start; first audio and playback marked by the callback. */
export class TtsHandle extends OperationBase implements TtsOperation {
  private firstAudioSeen = false;
  private playbackStarted = false;
  private playbackEnded = false;

  protected override addSpanAttributes(info: TtsInput, attrs: Attributes): void {
    if (typeof info.voice === 'string') {
      attrs[ATTR_VOICE] = info.voice;
      attrs[ATTR_GEN_AI_VOICE] = info.voice;
    }
    if (typeof info.text === 'string') attrs[ATTR_TEXT_LENGTH] = info.text.length;
  }

  begin(info: TtsInput): void {
    const text = info.text;
    this.emit('TTS_REQUEST', typeof text === 'string' ? { text_length: text.length } : undefined);
    // TTS_START's data: the text as `message` (as in the spec), first, then the rest of the description.
    const data: Record<string, unknown> = typeof text === 'string' ? { message: text } : {};
    for (const key of Object.keys(info)) if (key !== 'text') putData(data, key, info[key]);
    this.emit('TTS_START', data);
  }

  protected complete(): void {}

  override onChunk(): void {
    this.firstAudio();
  }

  firstAudio(data?: Record<string, unknown>): void {
    if (this.firstAudioSeen) return;
    this.firstAudioSeen = true;
    this.emit('TTS_FIRST_AUDIO', data);
  }

  stream<T>(source: AsyncIterable<T>, options?: TtsStreamOptions): AsyncIterable<T> {
    const self = this;
    const plays = options?.playback === true;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const chunk of source) {
            self.firstAudio();
            if (plays) self.playbackStart();
            yield chunk;
          }
        } finally {
          if (plays) self.playbackEnd();
        }
      },
    };
  }

  playbackStart(data?: Record<string, unknown>): void {
    if (this.playbackStarted) return;
    this.playbackStarted = true;
    this.emit('TTS_PLAYBACK_START', data);
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
