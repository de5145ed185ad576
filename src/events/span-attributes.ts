/**
 * Span names and attribute keys shared by the instrumentation (which sets them), the
 * sinks (which read session and turn back from a finished span) and the tests.
 */
export const SPAN_SESSION = 'voice.session';
export const SPAN_TURN = 'voice.turn';
export const SPAN_TTS = 'voice.tts';
export const SPAN_RECORDING = 'voice.recording';
export const SPAN_STT = 'voice.stt';
/** A span that only carries an event logged outside any session or operation. */
export const SPAN_EVENT = 'voice.event';

/** Allowed parent of each span name (null = a root). Checked against every trace in the tests. */
export const ALLOWED_PARENTS: Readonly<Record<string, readonly (string | null)[]>> = {
  [SPAN_SESSION]: [null],
  [SPAN_TURN]: [SPAN_SESSION],
  [SPAN_TTS]: [SPAN_TURN, null],
  [SPAN_RECORDING]: [SPAN_TURN, null],
  [SPAN_STT]: [SPAN_TURN, null],
  [SPAN_EVENT]: [null],
};

export const ATTR_SESSION_ID = 'session.id';
export const ATTR_TURN_NUMBER = 'turn.number';
export const ATTR_PROVIDER = 'voice.provider';
export const ATTR_MODEL = 'voice.model';
export const ATTR_VOICE = 'voice.voice';
export const ATTR_TRANSPORT = 'voice.transport';
export const ATTR_TEXT_LENGTH = 'voice.text_length';
export const ATTR_ERROR_TYPE = 'error.type';
