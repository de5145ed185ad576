import type { OperationFigures } from '../../events/operation-bus.js';
import { ATTR_STT_AUDIO_S } from '../../events/span-attributes.js';
import { OperationBase, type Operation, type OperationInfo } from '../operation-base.js';

export interface SttInput extends OperationInfo {
  /** Seconds of audio to transcribe; default: the length of the session's latest recording. */
  audio_s?: number;
}

export interface SttOperation extends Operation {
  /** Adds fields (e.g. `confidence`) to the STT_COMPLETE / STT_NO_SPEECH event. */
  set(data: Record<string, unknown>): void;
}

/** What an STT callback may return: the transcript, or an object carrying it as `text`. */
export type SttResult = string | { text?: string | null } | null | undefined;

/** STT: STT_REQUEST + STT_START; STT_COMPLETE with the transcript, or STT_NO_SPEECH when it is empty. */
export class SttHandle extends OperationBase implements SttOperation {
  private audioS: number | undefined;

  begin(info: SttInput): void {
    const given = info.audio_s;
    this.audioS = typeof given === 'number' && Number.isFinite(given) && given >= 0 ? given : this.place.shared.lastRecordingS;
    this.emitStart('STT_REQUEST');
    this.emitStart('STT_START', this.audioS === undefined ? info : { ...info, audio_s: this.audioS });
    if (this.audioS !== undefined) this.node.span.setAttribute(ATTR_STT_AUDIO_S, this.audioS);
  }

  protected override figures(): OperationFigures {
    return { audioS: this.audioS };
  }

  private lastTranscript: string | undefined;

  /** A streaming STT: partial transcripts pass by; the last one is the transcript. */
  override onChunk(chunk: unknown): void {
    const text = transcriptOf(chunk);
    if (text !== undefined) this.lastTranscript = text;
  }

  override streamResult(): unknown {
    return this.lastTranscript;
  }

  protected complete(result: unknown): void {
    const text = transcriptOf(result);
    if (text !== undefined && text.trim() !== '') this.emit('STT_COMPLETE', { text, text_length: text.length, ...this.extra });
    else this.emit('STT_NO_SPEECH', this.extra);
  }
}

function transcriptOf(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (result !== null && typeof result === 'object') {
    const text = (result as { text?: unknown }).text;
    if (typeof text === 'string') return text;
  }
  return undefined;
}
