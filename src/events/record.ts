/**
 * One event as it moves through the package: from the instrumentation API to the JSONL
 * sink, and from a JSONL file back into the metrics derivation and the CLI.
 */
export interface EventRecord {
  /** Microseconds since the Unix epoch (from the one clock, or parsed from a file). */
  timestampUs: number;
  eventType: string;
  /** null for events outside any session (e.g. a speak-only TTS call), as the spec allows. */
  sessionId: string | null;
  data: Record<string, unknown>;
  traceId?: string | undefined;
  spanId?: string | undefined;
  /** Turn number when known (our lines carry it; older logs are assigned turns by rule). */
  turn?: number | undefined;
  /**
   * Conversation key assigned by the reader when sessions are chained (voicemode's one session
   * per converse call, analysis/conversations.ts); absent: the session is the conversation.
   */
  conversation?: string | undefined;
}
