import { createHash } from 'node:crypto';

/**
 * Event data as the app passes it -> a plain, JSON-safe copy, redacted as configured, in
 * one pass. Logging must never throw or write something a reader cannot parse, and must
 * not leak what people said when told not to.
 *
 * Conversions (documented in docs/reliability.md):
 * - BigInt -> decimal string; NaN / Infinity / -Infinity -> "NaN" / "Infinity" / "-Infinity";
 *   functions -> "[Function name]"; symbols -> "Symbol(desc)"; undefined -> dropped (as JSON does);
 *   Date and anything with toJSON -> its JSON form; Map -> object; Set -> array;
 *   Error -> {name, message}; Buffer / typed arrays -> "[Uint8Array 320 bytes]" (no audio in logs);
 *   a getter that throws -> "[Unreadable]"; non-object data -> { value: ... }.
 * - Limits: strings longer than 8,192 characters are cut with "…[truncated N chars]"; arrays
 *   keep their first 1,000 items then "[… N more items]"; nesting deeper than 16 levels becomes
 *   "[MaxDepth]"; a reference cycle becomes "[Circular]".
 * - Always: values of keys that look like secrets (api_key, token, secret, password,
 *   authorization; any case, anywhere in the name) become "[REDACTED]".
 * - Redaction mode `text`: transcripts and TTS messages (keys message, text, transcript) become
 *   "[redacted len=N sha256=<12 hex>]"; mode `all`: every string except labels (provider,
 *   model, voice, transport, reason, error_type, language, format, status).
 */
export type RedactMode = 'none' | 'text' | 'all';
export const REDACT_MODES: readonly RedactMode[] = ['none', 'text', 'all'];

export const DATA_LIMITS = { maxStringLength: 8192, maxArrayItems: 1000, maxDepth: 16 } as const;

const SECRET = /api[-_]?key|token|secret|password|passwd|authorization/i;
/** LLM usage counts (`input_tokens`, `output_tokens`, ...) look like secrets by name but are not. */
const TOKEN_COUNT = /^(?:[a-z]+_)?(?:input|output|total|prompt|completion|cached|reasoning|audio)_tokens$/i;
const TEXT_KEYS = new Set(['message', 'text', 'transcript']);
const LABEL_KEYS = new Set(['provider', 'model', 'voice', 'transport', 'reason', 'error_type', 'language', 'format', 'status']);

/** Key -> is it a secret. Keys repeat across events, so the regex runs once per distinct key. */
const secretCache = new Map<string, boolean>();
function isSecretKey(key: string): boolean {
  let v = secretCache.get(key);
  if (v === undefined) {
    v = SECRET.test(key) && !TOKEN_COUNT.test(key);
    if (secretCache.size < 10_000) secretCache.set(key, v);
  }
  return v;
}

export function redactText(text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `[redacted len=${text.length} sha256=${hash}]`;
}

function redactsString(key: string, mode: RedactMode): boolean {
  if (mode === 'none') return false;
  if (mode === 'text') return TEXT_KEYS.has(key);
  return !LABEL_KEYS.has(key);
}

function truncate(s: string): string {
  return s.length > DATA_LIMITS.maxStringLength
    ? `${s.slice(0, DATA_LIMITS.maxStringLength)}…[truncated ${s.length - DATA_LIMITS.maxStringLength} chars]`
    : s;
}

/**
 * The hot path: one loop over the top-level keys; primitives are copied as they are, and
 * only nested or unusual values take the careful walk.
 */
export function prepareData(data: unknown, mode: RedactMode = 'none'): Record<string, unknown> {
  if (data === undefined || data === null) return {};
  if (typeof data !== 'object' || Array.isArray(data) || !isPlain(data)) {
    return { value: safeValue(data, 'value', mode, 1, new WeakSet()) };
  }
  const out: Record<string, unknown> = {};
  const src = data as Record<string, unknown>;
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    let v: unknown;
    try {
      v = src[key];
    } catch {
      out[key] = '[Unreadable]';
      continue;
    }
    if (isSecretKey(key)) {
      out[key] = '[REDACTED]';
      continue;
    }
    if (key === '__proto__') {
      putData(out, key, safeValue(v, key, mode, 1, new WeakSet()));
      continue;
    }
    switch (typeof v) {
      case 'string':
        out[key] = redactsString(key, mode) ? redactText(v) : v.length > DATA_LIMITS.maxStringLength ? truncate(v) : v;
        break;
      case 'boolean':
        out[key] = v;
        break;
      case 'number':
        out[key] = Number.isFinite(v) ? v : String(v);
        break;
      case 'undefined':
        break;
      default:
        out[key] = v === null ? null : safeValue(v, key, mode, 1, new WeakSet());
    }
  }
  return out;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The careful walk for any value (also the fallback of safeJsonStringify, with mode none). */
export function safeValue(v: unknown, key: string, mode: RedactMode, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof v) {
    case 'string':
      return redactsString(key, mode) ? redactText(v) : truncate(v);
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'boolean':
      return v;
    case 'bigint':
      return v.toString();
    case 'undefined':
      return undefined;
    case 'function':
      return `[Function ${v.name || 'anonymous'}]`;
    case 'symbol':
      return v.toString();
  }
  if (v === null) return null;
  const obj = v as object;
  if (seen.has(obj)) return '[Circular]';
  if (depth > DATA_LIMITS.maxDepth) return '[MaxDepth]';
  if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
  if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
  if (obj instanceof Error) return { name: obj.name, message: safeValue(obj.message, 'message', mode, depth + 1, seen) };
  seen.add(obj);
  try {
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return safeValue(toJSON.call(obj), key, mode, depth, seen);
    if (obj instanceof Map) return safeObject(Object.fromEntries(obj), mode, depth, seen);
    if (obj instanceof Set) return safeArray([...obj], key, mode, depth, seen);
    if (Array.isArray(obj)) return safeArray(obj, key, mode, depth, seen);
    return safeObject(obj as Record<string, unknown>, mode, depth, seen);
  } catch {
    return '[Unreadable]';
  } finally {
    seen.delete(obj);
  }
}

function safeArray(arr: unknown[], key: string, mode: RedactMode, depth: number, seen: WeakSet<object>): unknown[] {
  const n = Math.min(arr.length, DATA_LIMITS.maxArrayItems);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const item = safeValue(arr[i], key, mode, depth + 1, seen);
    out.push(item === undefined ? null : item);
  }
  if (arr.length > n) out.push(`[… ${arr.length - n} more items]`);
  return out;
}

function safeObject(obj: Record<string, unknown>, mode: RedactMode, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (isSecretKey(k)) {
      out[k] = '[REDACTED]';
      continue;
    }
    let item: unknown;
    try {
      item = obj[k];
    } catch {
      putData(out, k, '[Unreadable]');
      continue;
    }
    putData(out, k, safeValue(item, k, mode, depth + 1, seen));
  }
  return out;
}

/**
 * `out[key] = value` for any key read from the app's data. A key named `__proto__` (JSON.parse
 * makes such own keys) would set the copy's prototype instead and vanish from the log: it is
 * defined as the ordinary data property it was. Undefined values are left out, as JSON does.
 */
export function putData(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
