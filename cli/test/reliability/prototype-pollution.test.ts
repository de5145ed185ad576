import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { matchesWhere, parseWhere } from '../../src/analysis/filter.js';
import { planSpans, type PlannedSpan } from '../../src/analysis/rebuild.js';
import { outputRedactor } from '../../src/redact-output.js';
import { attributesToData, dataToAttributes } from '../../../src/events/attributes-codec.js';
import { isSecretKeyName } from '../../../src/events/secret-rules.js';
import { prepareData } from '../../../src/events/sanitize.js';
import { parseLine } from '../../src/reader/parse-line.js';
import { JsonlSpanExporter } from '../../../test/helpers/lib.js';
import { readLines, tempDir } from '../../../test/helpers/harness.js';

/**
 * Adversarial keys (issue #16, item 1): keys found in input (span attributes, log lines, event
 * data, `--where` paths, event types) must never change a prototype, and come out as data.
 */
const EVIL = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isAdmin', 'polluted'];

/** Every own property of the built-in prototypes, to see that nothing was added or changed. */
function prototypeSnapshot(): string {
  const protos = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
  return protos.map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|');
}
const before = prototypeSnapshot();

function expectPrototypesIntact(): void {
  expect(prototypeSnapshot()).toBe(before);
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** Every object reachable in `v` has a plain prototype (no assignment replaced one). */
function expectPlainTree(v: unknown, path = '$'): void {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => expectPlainTree(x, `${path}[${i}]`));
    return;
  }
  const proto = Object.getPrototypeOf(v);
  expect(proto === Object.prototype || proto === null, `prototype of ${path}`).toBe(true);
  for (const k of Object.keys(v)) expectPlainTree((v as Record<string, unknown>)[k], `${path}.${k}`);
}

afterEach(() => {
  // A failure must not leak into the other tests of the run.
  for (const k of ['isAdmin', 'polluted']) delete (Object.prototype as Record<string, unknown>)[k];
});

/** JSON text of an object given as entries (so a `__proto__` key is written as a key). */
type Tree = { entries: [string, Tree | string | number | boolean | null][] };
function treeJson(t: Tree | string | number | boolean | null): string {
  if (t === null || typeof t !== 'object') return JSON.stringify(t);
  return `{${t.entries.map(([k, v]) => `${JSON.stringify(k)}:${treeJson(v)}`).join(',')}}`;
}
// not a secret's name (`Pwd`, `token`): those values are redacted in every mode, which the
// property below would read as data changed (secret-rules.ts has its own tests)
const keyArb = fc.oneof(fc.constantFrom(...EVIL), fc.string({ maxLength: 6 }).filter((k) => !isSecretKeyName(k)));
const { tree: treeArb } = fc.letrec((tie) => ({
  tree: fc.record({
    entries: fc.array(
      fc.tuple(keyArb, fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), tie('tree'))),
      { maxLength: 5 },
    ),
  }),
})) as { tree: fc.Arbitrary<Tree> };

describe('prototype pollution: adversarial fixtures', () => {
  it('JsonlSpanExporter: an attribute "__proto__.isAdmin" stays data and changes no prototype', async () => {
    const dir = join(tempDir(), 'logs');
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new JsonlSpanExporter({ dir, flushIntervalMs: 20 }) })] });
    const span = provider.getTracer('other-code').startSpan('tool');
    // what JSON.parse of an LLM's tool arguments, flattened by any code, produces
    span.addEvent('TOOL_CALL', {
      '__proto__.isAdmin': true,
      'constructor.prototype.polluted': 'yes',
      'args.__proto__.polluted': 1,
      prototype: 'p',
    });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();
    expectPrototypesIntact();
    const [line] = readLines(dir);
    expect(JSON.stringify(line!.data)).toBe(
      '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"args":{"__proto__":{"polluted":1}},"prototype":"p"}',
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('attributesToData never walks through an inherited member', () => {
    const data = attributesToData(JSON.parse('{"__proto__.isAdmin":true,"constructor.name":"x","toString.polluted":1,"__proto__":"flat"}'));
    expectPrototypesIntact();
    expectPlainTree(data);
    expect(Object.keys(data)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')!.value).toBe('flat');
    expect((data.constructor as unknown as Record<string, unknown>).name).toBe('x');
  });

  it('dataToAttributes keeps a top-level __proto__ array as an attribute (does not set the prototype)', () => {
    const attrs = dataToAttributes(JSON.parse('{"__proto__":[1,2],"a":{"__proto__":"b"}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.keys(attrs)).toEqual(['__proto__', 'a.__proto__']);
  });

  it('--where on inherited names matches nothing and throws nothing', () => {
    const ev = parseLine('{"timestamp":"2026-01-01T00:00:00Z","event_type":"X","session_id":null,"data":{"a":1}}', 0, 1)!;
    for (const path of ['__proto__', 'constructor', 'toString', 'data.constructor', 'data.__proto__', 'hasOwnProperty.x', 'data.a.constructor']) {
      for (const value of ['x', 'null', 'function Object() { [native code] }', '{}']) {
        const c = parseWhere(`${path}=${value}`)!;
        expect(() => matchesWhere(ev, c), path).not.toThrow();
        expect(matchesWhere(ev, c), `${path}=${value}`).toBe(false);
      }
    }
    // data has no own key `constructor`: a line without the key matches no condition on it, `!=` included (issue 12)
    expect(matchesWhere(ev, parseWhere('data.constructor!=function Object() { [native code] }')!)).toBe(false);
    expect(matchesWhere(ev, parseWhere('data.a!=2')!)).toBe(true);
  });

  it('replay: an event type named after an Object member is a session-level event, not a span kind', () => {
    const evs = ['constructor_START', 'toString_END', '__proto___X'].map(
      (t, i) => parseLine(`{"timestamp":"2026-01-01T00:00:0${i}Z","event_type":"${t}","session_id":"s","data":{}}`, 0, i + 1)!,
    );
    const names: unknown[] = [];
    const walk = (s: PlannedSpan): void => {
      names.push(s.name);
      s.children.forEach(walk);
    };
    planSpans(evs).forEach(walk);
    expect(names).toEqual(['voice.session', 'voice.turn']);
  });

  it('summary: an event type or label named __proto__ is counted like any other', () => {
    const a = new Analyzer({ by: 'provider' });
    const line = (t: string, type: string): string =>
      `{"timestamp":"2026-01-01T00:00:0${t}Z","event_type":"${type}","session_id":"s","span_id":"0000000000000001","data":{"provider":"__proto__"}}`;
    a.addSession([parseLine(line('0.0', '__proto__'), 0, 1)!, parseLine(line('0.1', 'TTS_START'), 0, 2)!, parseLine(line('0.6', 'TTS_FIRST_AUDIO'), 0, 3)!]);
    const r = a.finish();
    expectPrototypesIntact();
    expect(Object.getOwnPropertyDescriptor(r.eventTypes, '__proto__')?.value).toBe(1);
    expect(Object.getOwnPropertyDescriptor(r.groups!, '__proto__')?.value.ttfa.count).toBe(1);
    expect(Object.getPrototypeOf(r.groups)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(r.eventTypes)).toBe(Object.prototype);
  });
});

describe('prototype pollution: property (fast-check)', () => {
  it('no line, data or attribute set changes a prototype; __proto__/constructor/prototype keys come out as data', () => {
    const redact = outputRedactor({ VOICEMODE_EVENT_LOG_REDACT: 'none' });
    const redactAll = outputRedactor({ VOICEMODE_EVENT_LOG_REDACT: 'all' });
    fc.assert(
      fc.property(treeArb, fc.array(fc.constantFrom(...EVIL, 'data', 'a'), { minLength: 1, maxLength: 4 }), (tree, wherePath) => {
        const dataText = treeJson(tree);
        const line = `{"timestamp":"2026-01-01T00:00:00Z","event_type":"TTS_START","session_id":"s","__proto__":{"polluted":1},"data":${dataText}}`;
        const ev = parseLine(line, 0, 1)!;
        expect(ev).toBeDefined();
        const data = ev.data;
        const outs: unknown[] = [
          prepareData(data),
          prepareData(data, 'all'),
          redact.data(data),
          JSON.parse(redact.line(line)),
          JSON.parse(redactAll.line(line)),
        ];
        const attrs = dataToAttributes(data);
        const back = attributesToData(attrs);
        outs.push(back);
        matchesWhere(ev, { path: wherePath, op: '=', value: 'x' });
        const plan: PlannedSpan[] = planSpans([ev]);
        outs.push(plan[0]!.attributes);
        expectPrototypesIntact();
        expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
        for (const o of outs) expectPlainTree(o);
        // what was data stays data, key for key (JSON text is the same after the copy)
        expect(JSON.stringify(prepareData(data))).toBe(JSON.stringify(data));
        expect(JSON.stringify(JSON.parse(redact.line(line)).data)).toBe(JSON.stringify(data));
        for (const k of Object.keys(data)) {
          const t = typeof data[k];
          if (t === 'string' || t === 'number' || t === 'boolean') expect(Object.keys(back)).toContain(k.split('.')[0]);
        }
      }),
      { numRuns: 400 },
    );
  });
});
