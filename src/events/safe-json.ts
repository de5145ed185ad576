import { safeCopy } from './sanitize.js';

/**
 * JSON.stringify that never throws: the last guard before a line is written. Data from the
 * API is already made safe by prepareData (sanitize.ts); records from other sources (a span
 * event added by other code) may still hold odd values, so on a throw the same careful walk
 * converts them.
 */
export function safeJsonStringify(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    return s === undefined ? '{}' : s;
  } catch {
    try {
      return JSON.stringify(safeCopy(value)) ?? '{}';
    } catch {
      return '{"_unserializable":true}';
    }
  }
}

/** Any value as it should appear in an error or warning message; never throws. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    default:
      return safeJsonStringify(value);
  }
}
