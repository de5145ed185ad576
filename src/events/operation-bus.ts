import { ListenerSet } from './listener-set.js';
import type { OperationKind } from './operation-kinds.js';

/** One finished operation, for the GenAI client metrics (duration of the call, token usage). */
export interface OperationEnd {
  kind: OperationKind;
  /** The wrapped call, from its start to its end (a streamed result: until the stream is done). */
  seconds: number;
  provider: string | undefined;
  model: string | undefined;
  /** Set when the operation failed. */
  errorType: string | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** TTS: characters of the text spoken; seconds of audio made (`op.audio`); whether a barge-in cut it short. */
  characters?: number | undefined;
  audioS?: number | undefined;
  interrupted?: boolean | undefined;
}

/** What a kind's handle adds to its OperationEnd. */
export type OperationFigures = Partial<Pick<OperationEnd, 'inputTokens' | 'outputTokens' | 'characters' | 'audioS' | 'interrupted'>>;

/** Announced when an operation's span ends. Nothing listens unless a MeterProvider is wired. */
export const liveOperations = new ListenerSet<[op: OperationEnd]>();
