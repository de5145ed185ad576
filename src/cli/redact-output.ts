import { resolveRedactMode } from '../config.js';
import { prepareData, type RedactMode } from '../events/sanitize.js';

/**
 * What the CLI prints of event data follows the same rules as what the library writes
 * (docs/reliability.md): secret-looking keys always become "[REDACTED]" (old logs, e.g. from
 * the Python implementation, may hold them), and VOICEMODE_EVENT_LOG_REDACT=text|all hides
 * transcripts and messages, or all free text.
 */
const SECRET_KEY_IN_TEXT = /"[^"]*(?:api[-_]?key|token|secret|password|passwd|authorization)[^"]*"\s*:/i;

export interface OutputRedactor {
  readonly mode: RedactMode;
  data(data: Record<string, unknown>): Record<string, unknown>;
  /** A whole original line: returned as it is when nothing in it needs redacting (the fast path of `query`). */
  line(raw: string): string;
}

export function outputRedactor(env: NodeJS.ProcessEnv = process.env): OutputRedactor {
  const mode = resolveRedactMode(env);
  return {
    mode,
    data: (data) => prepareData(data, mode),
    line(raw) {
      if (mode === 'none' && !SECRET_KEY_IN_TEXT.test(raw)) return raw;
      try {
        const obj = JSON.parse(raw) as Record<string, unknown>;
        if (obj.data && typeof obj.data === 'object') obj.data = prepareData(obj.data, mode);
        return JSON.stringify(obj);
      } catch {
        return raw; // the reader only hands over lines that parse
      }
    },
  };
}
