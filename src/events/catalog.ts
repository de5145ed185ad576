import { describeValue } from './safe-json.js';

/**
 * The spec's event catalog. The 18 names autocomplete; any other UPPER_SNAKE name is
 * accepted without code changes (production logs already carry TOOL_REQUEST_START,
 * CONCH_* and friends), so the type is the catalog plus a branded string escape hatch.
 */
export const EVENT_TYPES = [
  // TTS
  'TTS_REQUEST',
  'TTS_START',
  'TTS_FIRST_AUDIO',
  'TTS_PLAYBACK_START',
  'TTS_PLAYBACK_END',
  'TTS_ERROR',
  // Recording
  'RECORDING_START',
  'RECORDING_END',
  'RECORDING_SAVED',
  // STT
  'STT_REQUEST',
  'STT_START',
  'STT_COMPLETE',
  'STT_NO_SPEECH',
  'STT_ERROR',
  // System
  'SESSION_START',
  'SESSION_END',
  'TRANSPORT_SWITCH',
  'PROVIDER_SWITCH',
] as const;

export type SpecEventType = (typeof EVENT_TYPES)[number];

/** Beyond the spec: the LLM stage, voice activity, barge-in and recording errors that the instrumentation logs. */
export const VOICE_LOOP_EVENT_TYPES = [
  'LLM_REQUEST',
  'LLM_START',
  'LLM_FIRST_TOKEN',
  'LLM_COMPLETE',
  'LLM_ERROR',
  'RECORDING_ERROR',
  'SPEECH_START',
  'SPEECH_END',
  'TTS_INTERRUPTED',
] as const;
export type VoiceLoopEventType = (typeof VOICE_LOOP_EVENT_TYPES)[number];

/** A known name (autocompleted) or any other UPPER_SNAKE name. */
export type EventType = SpecEventType | VoiceLoopEventType | (string & { readonly __eventType?: never });

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
const known = new Set<string>(EVENT_TYPES);
const knownNames = new Set<string>([...EVENT_TYPES, ...VOICE_LOOP_EVENT_TYPES]);

/** True for the spec's 18 names. */
export function isSpecEventType(value: string): value is SpecEventType {
  return known.has(value);
}

/** True for any valid event type name: UPPER_SNAKE, starting with a letter. */
export function isValidEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (knownNames.has(value) || UPPER_SNAKE.test(value));
}

/**
 * Throws a TypeError naming the value when it is not a valid event type. This is the one
 * place the API throws into the app: a bad name is a programming error, not a runtime fault.
 */
export function assertEventType(value: unknown): asserts value is EventType {
  if (!isValidEventType(value)) {
    throw new TypeError(
      `voicemode-events: invalid event type ${describeValue(value)}: ` +
        'expected an UPPER_SNAKE name such as "TTS_START"',
    );
  }
}
