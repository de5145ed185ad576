import { readData } from '../core.js';
import { OperationBase, type Operation, type OperationInfo } from '../operation-base.js';

export type RecordingInput = OperationInfo;

export interface RecordingOperation extends Operation {
  /** The app's VAD heard the user start speaking: SPEECH_START (data: e.g. `vad_probability`). */
  speechStart(data?: Record<string, unknown>): void;
  /**
   * The app's VAD heard the user stop: SPEECH_END. The last one before RECORDING_END is where the
   * user's reply latency starts (`voice_to_voice`), and SPEECH_END to RECORDING_END is `endpointing_delay`.
   */
  speechEnd(data?: Record<string, unknown>): void;
  /** Logs RECORDING_SAVED with the file's path. */
  saved(path: string, data?: Record<string, unknown>): void;
  /** Adds fields (e.g. `samples`) to the RECORDING_END event. */
  set(data: Record<string, unknown>): void;
}

/**
 * Recording: RECORDING_START with the description; RECORDING_END with `duration` in seconds
 * (the key production voicemode writes and its log viewer reads) plus what `set()` added.
 */
export class RecordingHandle extends OperationBase implements RecordingOperation {
  begin(info: RecordingInput): void {
    this.emitStart('RECORDING_START', info);
  }

  protected complete(): void {
    const duration = Math.max(0, this.core.clock.nowUs() - this.startUs) / 1e6;
    this.place.shared.lastRecordingS = duration; // the audio the next STT transcribes
    this.emit('RECORDING_END', { duration, ...this.extra });
  }

  speechStart(data?: Record<string, unknown>): void {
    this.emit('SPEECH_START', data);
  }

  speechEnd(data?: Record<string, unknown>): void {
    this.emit('SPEECH_END', data);
  }

  saved(path: string, data?: Record<string, unknown>): void {
    this.emit('RECORDING_SAVED', { path, ...readData(data) });
  }
}
