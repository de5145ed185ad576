/**
 * JSON.stringify that never throws: logging must not crash the app over odd data.
 * The fast path is plain JSON.stringify; only when it throws (BigInt, circular
 * references, a throwing toJSON) do we walk the value and convert what JSON cannot hold.
 */
export function safeJsonStringify(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    return s === undefined ? '{}' : s;
  } catch {
    try {
      return JSON.stringify(toJsonSafe(value, new WeakSet(), 0)) ?? '{}';
    } catch {
      return '{"_unserializable":true}';
    }
  }
}

const MAX_DEPTH = 32;

function toJsonSafe(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[MaxDepth]';
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    try {
      return toJsonSafe(toJSON.call(value), seen, depth + 1);
    } catch {
      return '[Unserializable]';
    }
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, seen, depth + 1));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      let v: unknown;
      try {
        v = (value as Record<string, unknown>)[key];
      } catch {
        v = '[Unreadable]';
      }
      out[key] = toJsonSafe(v, seen, depth + 1);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
