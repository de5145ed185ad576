import { createHash } from 'node:crypto';
import { putData } from './own-keys.js';
import { isSecretKeyName, MIN_SECRET_VALUE_LENGTH, scrubSecretValues } from './secret-rules.js';

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
 *   "[MaxDepth]"; a reference cycle becomes "[Circular]"; the whole event's data is bounded at
 *   65,536 characters (keys and strings by length, other values 8 each): the value that goes
 *   over becomes "[truncated: event data over 65536 characters]" and nothing after it is kept.
 * - Always (secret-rules.ts): values of keys that look like secrets (api_key, token, secret,
 *   password, cookie, credential, ...; any case, anywhere in the name) become "[REDACTED]", and
 *   tokens inside any string (`Bearer ...`, `sk-...`, `ghp_...`, `AKIA...`) are replaced by it.
 * - Redaction mode `text`: transcripts, TTS messages and LLM prompts and replies (keys message, text,
 *   transcript, prompt, messages, content, instructions) become
 *   "[redacted len=N sha256=<12 hex>]"; mode `all`: every string except labels (provider,
 *   model, voice, transport, reason, error_type, language, format, status).
 */
export type RedactMode = 'none' | 'text' | 'all';
export const REDACT_MODES: readonly RedactMode[] = ['none', 'text', 'all'];

export const DATA_LIMITS = { maxStringLength: 8192, maxArrayItems: 1000, maxDepth: 16, maxEventChars: 65_536 } as const;

/** What people said or were told: transcripts, TTS messages, LLM prompts and replies. */
const TEXT_KEYS = new Set(['message', 'text', 'transcript', 'prompt', 'messages', 'content', 'instructions']);
const LABEL_KEYS = new Set(['provider', 'model', 'voice', 'transport', 'reason', 'error_type', 'language', 'format', 'status']);

/** Key -> is it a secret. Keys repeat across events, so the regex runs once per distinct key. */
const secretCache = new Map<string, boolean>();
function isSecretKey(key: string): boolean {
  let v = secretCache.get(key);
  if (v === undefined) {
    v = isSecretKeyName(key);
    if (secretCache.size < 10_000) secretCache.set(key, v);
  }
  return v;
}

/** What redactText makes: left as it is when sanitised again (the JSONL exporter re-reads our own span events). */
const REDACTED_TEXT = /^\[redacted len=\d+ sha256=[0-9a-f]{12}\]$/;

export function redactText(text: string): string {
  if (text.length <= 48 && text.charCodeAt(0) === 91 /* [ */ && REDACTED_TEXT.test(text)) return text;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `[redacted len=${text.length} sha256=${hash}]`;
}

function redactsString(key: string, mode: RedactMode): boolean {
  if (mode === 'none') return false;
  if (mode === 'text') return TEXT_KEYS.has(key);
  return !LABEL_KEYS.has(key);
}

const TRUNCATED_TAIL = /^…\[truncated \d+ chars\]$/;
const MORE_ITEMS = /^\[… \d+ more items\]$/;

/**
 * A string kept as text: tokens in it replaced (secret-rules.ts), then cut at the limit. Only
 * the part that is kept (plus a little, so a token across the cut is still found whole) is
 * scanned, so a huge string costs no more than one at the limit.
 */
function cleanString(s: string): string {
  if (s.length < MIN_SECRET_VALUE_LENGTH) return s;
  const max = DATA_LIMITS.maxStringLength;
  if (s.length <= max) return scrubSecretValues(s);
  if (s.length <= max + 40 && TRUNCATED_TAIL.test(s.slice(max))) return scrubSecretValues(s); // cut already (sanitised twice)
  const head = scrubSecretValues(s.slice(0, max + 256)).slice(0, max);
  return `${head}…[truncated ${s.length - max} chars]`;
}

/** What stands in for the rest of an event's data once it is over `maxEventChars`. */
export const BUDGET_MARKER = `[truncated: event data over ${DATA_LIMITS.maxEventChars} characters]`;

/** One careful walk: redaction mode, objects on the current path (cycles), what is left of the size budget. */
interface Walk {
  mode: RedactMode;
  seen: WeakSet<object>;
  /** Characters left for the event's data: keys and strings count their length, other values 8. */
  left: number;
  /** Set when the marker was placed: every container on the path stops there. */
  cut: boolean;
}

/**
 * The hot path: one loop over the top-level keys; primitives are copied as they are, and
 * only nested or unusual values take the careful walk. The whole event's data is bounded
 * (`maxEventChars`, counted as it is copied): the value that goes over it becomes
 * BUDGET_MARKER and nothing after it is copied, so `{items: Array(1000).fill(oneMB)}` costs
 * 64 KiB of characters, not 1000 cut strings.
 */
export function prepareData(data: unknown, mode: RedactMode = 'none'): Record<string, unknown> {
  if (data === undefined || data === null) return {};
  if (typeof data !== 'object' || Array.isArray(data) || !isPlain(data)) {
    const w: Walk = { mode, seen: new WeakSet(), left: DATA_LIMITS.maxEventChars, cut: false };
    const value = safeValue(data, 'value', 1, w);
    return { value: w.left < 0 && !w.cut ? BUDGET_MARKER : value };
  }
  const out: Record<string, unknown> = {};
  const src = data as Record<string, unknown>;
  let left: number = DATA_LIMITS.maxEventChars;
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    left -= key.length + 8; // the key, and what any value costs at least
    if (left < 0) {
      putData(out, key, BUDGET_MARKER);
      break;
    }
    let v: unknown;
    try {
      v = src[key];
    } catch {
      putData(out, key, '[Unreadable]');
      continue;
    }
    left = putValue(out, key, v, mode, left);
    if (left < 0) break;
  }
  return out;
}

/**
 * `prepareData` in place, for data the package builds itself from the app's values (TTS_START
 * from the operation's description, LLM_COMPLETE): a plain object of its own, with data
 * properties only (no getters) and no undefined values, that nobody else holds. Its values are
 * made safe where they are, with the same result as `prepareData(data)` (same keys, order,
 * redaction and budget: test/tts-start-data.test.ts), without the second object.
 */
export function prepareOwnData(data: Record<string, unknown>, mode: RedactMode): Record<string, unknown> {
  const keys = Object.keys(data);
  let left: number = DATA_LIMITS.maxEventChars;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    left -= key.length + 8; // as in prepareData
    if (left < 0) putData(data, key, BUDGET_MARKER);
    else left = putValue(data, key, data[key], mode, left);
    if (left < 0) {
      for (let j = i + 1; j < keys.length; j++) delete data[keys[j]!]; // nothing after the marker, as in prepareData
      break;
    }
  }
  return data;
}

/** prepareData's work on one key whose value was read and whose key was charged to the budget. */
function putValue(out: Record<string, unknown>, key: string, v: unknown, mode: RedactMode, left: number): number {
  if (isSecretKey(key)) {
    putData(out, key, '[REDACTED]');
    return left;
  }
  if (key === '__proto__') {
    // the one key `out[key] =` below would misuse (it would set the copy's prototype)
    const w: Walk = { mode, seen: new WeakSet(), left, cut: false };
    const value = safeValue(v, key, 1, w);
    putData(out, key, w.left < 0 && !w.cut ? BUDGET_MARKER : value);
    return w.left;
  }
  switch (typeof v) {
    case 'string': {
      const text = redactsString(key, mode) ? redactText(v) : v.length < MIN_SECRET_VALUE_LENGTH ? v : cleanString(v);
      left -= text.length;
      out[key] = left < 0 ? BUDGET_MARKER : text;
      return left;
    }
    case 'boolean':
      out[key] = v;
      return left;
    case 'number':
      out[key] = Number.isFinite(v) ? v : String(v);
      return left;
    case 'undefined':
      return left;
    default: {
      if (v === null) {
        out[key] = null;
        return left;
      }
      const w: Walk = { mode, seen: new WeakSet(), left, cut: false };
      const value = safeValue(v, key, 1, w);
      out[key] = w.left < 0 && !w.cut ? BUDGET_MARKER : value;
      return w.left;
    }
  }
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Any value to its JSON-safe form, no redaction, no size budget (the fallback of safeJsonStringify). */
export function safeCopy(v: unknown): unknown {
  return safeValue(v, '', 0, { mode: 'none', seen: new WeakSet(), left: Infinity, cut: false });
}

/** The careful walk for any value. Strings are charged to the budget here; containers charge keys and other values. */
function safeValue(v: unknown, key: string, depth: number, w: Walk): unknown {
  switch (typeof v) {
    case 'string': {
      const text = redactsString(key, w.mode) ? redactText(v) : cleanString(v);
      w.left -= text.length;
      return text;
    }
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
  const seen = w.seen;
  if (seen.has(obj)) return '[Circular]';
  if (depth > DATA_LIMITS.maxDepth) return '[MaxDepth]';
  if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
  if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
  if (obj instanceof Error) return { name: obj.name, message: safeValue(obj.message, 'message', depth + 1, w) };
  seen.add(obj);
  try {
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return safeValue(toJSON.call(obj), key, depth, w);
    if (obj instanceof Map) return safeObject(Object.fromEntries(obj), depth, w);
    if (obj instanceof Set) return safeArray([...obj], key, depth, w);
    if (Array.isArray(obj)) return safeArray(obj, key, depth, w);
    return safeObject(obj as Record<string, unknown>, depth, w);
  } catch {
    return '[Unreadable]';
  } finally {
    seen.delete(obj);
  }
}

/**
 * A container's item once computed: charged to the budget (strings were charged as they were
 * made); the item that goes over it becomes the marker, unless it is a container that already
 * placed the marker inside itself. Returns the item to store; `w.cut` tells the caller to stop.
 */
function charge(item: unknown, keyLength: number, w: Walk): unknown {
  w.left -= keyLength + (typeof item === 'string' || (typeof item === 'object' && item !== null) ? 0 : 8);
  if (w.left >= 0 || w.cut) return item;
  w.cut = true;
  return BUDGET_MARKER;
}

function safeArray(arr: unknown[], key: string, depth: number, w: Walk): unknown[] {
  const max = DATA_LIMITS.maxArrayItems;
  // an array cut already (sanitised twice) keeps its marker as its last item
  const cut = arr.length === max + 1 && typeof arr[max] === 'string' && MORE_ITEMS.test(arr[max] as string);
  const n = Math.min(arr.length, max);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const item = safeValue(arr[i], key, depth + 1, w);
    out.push(charge(item === undefined ? null : item, 1, w));
    if (w.cut) return out;
  }
  if (cut) out.push(arr[max]);
  else if (arr.length > n) out.push(`[… ${arr.length - n} more items]`);
  return out;
}

function safeObject(obj: Record<string, unknown>, depth: number, w: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (isSecretKey(k)) {
      putData(out, k, charge('[REDACTED]', k.length + 10, w));
    } else {
      let value: unknown;
      try {
        value = safeValue(obj[k], k, depth + 1, w);
      } catch {
        value = '[Unreadable]'; // a getter that throws
      }
      if (value !== undefined) putData(out, k, charge(value, k.length, w));
    }
    if (w.cut) break;
  }
  return out;
}

export { putData } from './own-keys.js';
