import { type Env, jsonMayHoldSecret, ownValue, prepareData, processEnv, putData, type RedactMode, resolveRedactMode } from 'voicemode-events/internal';

/**
 * What the CLI prints or sends of event data follows the same rules as what the library writes
 * (docs/reliability.md), with the same code (`prepareData`): secret-looking keys and values
 * always become "[REDACTED]" (old logs, e.g. from the Python implementation, may hold them),
 * and VOICEMODE_EVENT_LOG_REDACT=text|all hides transcripts and messages, or all free text.
 */
export interface OutputRedactor {
  readonly mode: RedactMode;
  data(data: Record<string, unknown>): Record<string, unknown>;
  /** A whole original line: returned as it is when nothing in it needs redacting (the fast path of `query`). */
  line(raw: string): string;
}

/** The spec's and our fields of a line, printed as they are; every other top-level key is treated as data. */
const LINE_FIELDS = new Set(['timestamp', 'event_type', 'session_id', 'turn', 'trace_id', 'span_id']);

export function outputRedactor(env: Env = processEnv()): OutputRedactor {
  const mode = resolveRedactMode(env);
  return {
    mode,
    data: (data) => prepareData(data, mode),
    line(raw) {
      if (mode === 'none' && !jsonMayHoldSecret(raw)) return raw;
      let obj: unknown;
      try {
        obj = JSON.parse(raw);
      } catch {
        return raw; // the reader only hands over lines that parse
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return raw;
      // `data` and any extra top-level key (an `api_key` next to `data`) go through the
      // sanitizer with their decoded names; the line's own fields stay as they are.
      const rest: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) if (!LINE_FIELDS.has(k)) putData(rest, k, ownValue(obj, k));
      const clean = prepareData(rest, mode);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) putData(out, k, LINE_FIELDS.has(k) ? ownValue(obj, k) : ownValue(clean, k));
      const text = JSON.stringify(out);
      return text === JSON.stringify(obj) ? raw : text; // nothing hidden: the original text, byte for byte
    },
  };
}
