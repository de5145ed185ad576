import { OPERATION_KINDS, operationKinds } from './operation-kinds.js';

/**
 * Span names and attribute keys shared by the instrumentation (which sets them), the
 * sinks (which read session and turn back from a finished span) and the tests.
 */
export const SPAN_SESSION = 'voice.session';
export const SPAN_TURN = 'voice.turn';
export const SPAN_TTS = OPERATION_KINDS.tts.span;
export const SPAN_RECORDING = OPERATION_KINDS.recording.span;
export const SPAN_STT = OPERATION_KINDS.stt.span;
export const SPAN_LLM = OPERATION_KINDS.llm.span;
/** A span that only carries an event logged outside any session or operation. */
export const SPAN_EVENT = 'voice.event';

/**
 * Allowed parent of each span name (null = a root). Checked against every trace in the tests.
 * Every operation kind's span is a child of a turn, or a root when called outside a session.
 */
export const ALLOWED_PARENTS: Readonly<Record<string, readonly (string | null)[]>> = {
  [SPAN_SESSION]: [null],
  [SPAN_TURN]: [SPAN_SESSION],
  ...Object.fromEntries(operationKinds().map(([, def]) => [def.span, [SPAN_TURN, null]])),
  [SPAN_EVENT]: [null],
};

export const ATTR_SESSION_ID = 'session.id';
export const ATTR_TURN_NUMBER = 'turn.number';
export const ATTR_PROVIDER = 'voice.provider';
export const ATTR_MODEL = 'voice.model';
export const ATTR_VOICE = 'voice.voice';
export const ATTR_TRANSPORT = 'voice.transport';
export const ATTR_TEXT_LENGTH = 'voice.text_length';
export const ATTR_CANCELLED = 'voice.cancelled';
export const ATTR_INTERRUPTED = 'voice.interrupted';
export const ATTR_TTS_AUDIO_S = 'voice.tts.audio_s';
export const ATTR_STT_AUDIO_S = 'voice.stt.audio_s';
export const ATTR_TURN_INTERRUPTED = 'turn.interrupted';
export const ATTR_ERROR_TYPE = 'error.type';

/**
 * OpenTelemetry GenAI semantic conventions (semantic-conventions-genai; `text_to_speech` and
 * `speech_to_text` from the open voice proposal, PR #390), so GenAI-aware backends classify
 * our spans. Mapping: docs/observability.md.
 */
export const ATTR_GEN_AI_OPERATION = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER = 'gen_ai.provider.name';
export const ATTR_GEN_AI_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_VOICE = 'gen_ai.speech.voice';
export const ATTR_GEN_AI_CONVERSATION = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** How a turn ended: `completed`, `interrupted` (barge-in) or `session_closed` (semantic-conventions-genai PR #390). */
export const ATTR_GEN_AI_END_REASON = 'gen_ai.agent.invocation.end_reason';
