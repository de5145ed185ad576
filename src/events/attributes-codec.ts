import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { ownValue, putData } from './own-keys.js';
import { safeJsonStringify } from './safe-json.js';

/**
 * Event `data` (any JSON object) <-> OTel event attributes (flat primitives).
 * Nested plain objects are flattened with dotted keys (`metrics.ttfa_ms`), which is how
 * Jaeger shows them best; arrays of one primitive type stay arrays; anything else becomes
 * its JSON text. The reverse un-flattens dotted keys, so a finished span read by the JSONL
 * exporter alone gives back the same `data` (except that keys which themselves contain
 * dots come back nested).
 */
export function dataToAttributes(data: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  flatten(data, '', out, 0);
  return out;
}

/**
 * Attributes for one span event from event data that is already a private copy (see
 * `prepareData`). The common case, data whose values are all strings, numbers or booleans,
 * is already a valid flat attribute set and is passed as it is: the SDK copies attributes
 * into its own object in `addEvent`, and nobody changes the copy afterwards. Anything else
 * (nesting, arrays, null) goes through `dataToAttributes`. Same result, one object less
 * per event on the hot path.
 */
export function eventAttributes(data: Record<string, unknown>): Attributes {
  for (const key in data) {
    if (!Object.prototype.hasOwnProperty.call(data, key)) return dataToAttributes(data);
    const t = typeof data[key];
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return dataToAttributes(data);
  }
  return data as Attributes;
}

function flatten(obj: Record<string, unknown>, prefix: string, out: Attributes, depth: number): void {
  const put = out as Record<string, unknown>;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const value = obj[key];
    const name = prefix + key;
    // putData, not `out[name] =`: a top-level key named __proto__ would set the prototype
    switch (typeof value) {
      case 'string':
      case 'boolean':
      case 'number':
        putData(put, name, value);
        break;
      case 'bigint':
        putData(put, name, value.toString());
        break;
      case 'object':
        if (value === null) break;
        if (Array.isArray(value)) putData(put, name, arrayValue(value));
        else if (depth < 8 && isPlainObject(value)) flatten(value as Record<string, unknown>, name + '.', out, depth + 1);
        else putData(put, name, safeJsonStringify(value));
        break;
      default:
        break; // functions, symbols, undefined: JSON drops them too
    }
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function arrayValue(arr: unknown[]): AttributeValue {
  if (arr.length === 0) return safeJsonStringify(arr);
  const t = typeof arr[0];
  if ((t === 'string' || t === 'number' || t === 'boolean') && arr.every((x) => typeof x === t)) {
    return arr as AttributeValue;
  }
  return safeJsonStringify(arr);
}

/**
 * Un-flattens attributes into event data. Attribute keys come from whoever added the event
 * (other code on our spans, any pipeline feeding `JsonlSpanExporter`), so each dotted part is
 * an ordinary key: a part named `__proto__`, `constructor` or `prototype` becomes a data key
 * and is never walked through (`__proto__.isAdmin` once set `Object.prototype.isAdmin`).
 */
export function attributesToData(attrs: Attributes | undefined): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (!attrs) return data;
  for (const key of Object.keys(attrs)) {
    const value = attrs[key];
    if (value === undefined) continue;
    const parts = key.split('.');
    let target = data;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      const next = ownValue(target, p);
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) target = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        putData(target, p, created);
        target = created;
      }
    }
    putData(target, parts[parts.length - 1]!, Array.isArray(value) ? [...value] : value);
  }
  return data;
}
