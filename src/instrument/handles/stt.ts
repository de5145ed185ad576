import { OperationBase, type Operation, type OperationInfo } from '../operation-base.js';

export type SttInput = OperationInfo;

export interface SttOperation extends Operation {
  /** Adds fields (e.g. `confidence`) to the STT_COMPLETE / STT_NO_SPEECH event. */
  set(data: Record<string, unknown>): void;
}

/** What an STT callback may return: the transcript, or an object carrying it as `text`. */
export type SttResult = string | { text?: string | null } | null | undefined;

/** STT: STT_REQUEST + STT_START; STT_COMPLETE with the transcript, or STT_NO_SPEECH when it is empty. */
export class SttHandle extends OperationBase implements SttOperation {
  begin(info: SttInput): void {
    this.emit('STT_REQUEST');
    this.emit('STT_START', info);
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
