/**
 * Building and reading objects whose keys come from input (event data, log lines, span
 * attributes). `obj[key] = v` with `key === '__proto__'` sets the object's prototype instead
 * of a key (and a nested walk through it reaches `Object.prototype`, changing every object
 * in the app); reading `obj[key]` finds inherited members (`constructor`, `toString`). These
 * two helpers treat every key, whatever its name, as an ordinary own data key.
 */

/**
 * `out[key] = value` as a plain data property for any key: `__proto__` is defined (not
 * assigned) so it stays an ordinary key. Undefined values are left out, as JSON does.
 */
export function putData(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** `obj[key]` only when it is the object's own key (never an inherited member such as `constructor`). */
export function ownValue(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}
