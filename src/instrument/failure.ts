import { SpanStatusCode } from '@opentelemetry/api';
import { redactText } from '../events/sanitize.js';
import { ATTR_ERROR_TYPE } from '../events/span-attributes.js';
import type { Core, SpanNode } from './core.js';

/** What an error is called in logs and on spans: `name` when set, else the class name (`class MyErr extends Error` -> MyErr). */
export function errorType(err: unknown): string {
  try {
    if (err instanceof Error) return err.name && err.name !== 'Error' ? err.name : err.constructor?.name || 'Error';
  } catch {
    return 'Error';
  }
  return typeof err;
}

export function errorMessage(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return '[unprintable error]';
  }
}

/**
 * The one way an error becomes span status: `error.type` and status ERROR with the message
 * (redacted in mode `all`). Returns what the *_ERROR / SESSION_END event carries. Never throws.
 */
export function markFailed(core: Core, node: SpanNode, err: unknown): { error_type: string; error_message: string } {
  const type = errorType(err);
  const message = errorMessage(err);
  try {
    node.span.setAttribute(ATTR_ERROR_TYPE, type);
    node.span.setStatus({ code: SpanStatusCode.ERROR, message: core.redact === 'all' ? redactText(message) : message });
  } catch {
    // a broken span must not take the app down; the event still carries the error
  }
  return { error_type: type, error_message: message };
}
