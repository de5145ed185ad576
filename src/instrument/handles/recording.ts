import { OperationBase, type Operation, type OperationInfo } from '../operation-base.js';

export type RecordingInput = OperationInfo;

export interface RecordingOperation extends Operation {
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
    this.emit('RECORDING_START', info);
  }

  protected complete(): void {
    const duration = Math.max(0, this.core.clock.nowUs() - this.startUs) / 1e6;
    this.emit('RECORDING_END', { duration, ...this.extra });
  }

  saved(path: string, data?: Record<string, unknown>): void {
    this.emit('RECORDING_SAVED', { path, ...data });
  }
}
