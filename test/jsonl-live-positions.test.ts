import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from './helpers/harness.js';

/**
 * JsonlEventProcessor remembers which events of a span it wrote live by position (index among
 * every event the span ever got), not by a WeakSet of event objects (a measured hot-path cost,
 * see docs/performance.md). These cases pin "every event exactly once" where positions are
 * tricky: other code's events interleaved with ours, and the SDK shifting events out at its limit.
 */
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

function counts(h: Harness): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of h.lines()) {
    const key = `${String(l.event_type)}:${JSON.stringify(l.data)}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

describe('JsonlEventProcessor: events written live vs. at span end', () => {
  it('interleaved events of other code are written once each, ours once each (no span limit hit)', async () => {
    const h = makeHarness();
    harnesses.push(h);
    const s = h.voice.startSession({ id: 'conv_pos_1' });
    for (let i = 0; i < 50; i++) {
      s.logEvent('TOOL_REQUEST_START', { i });
      if (i % 7 === 0) s.span.addEvent('OTHER_CODE', { i });
      if (i % 11 === 0) s.span.addEvent('OTHER_CODE', { i, second: true });
    }
    s.span.addEvent('OTHER_CODE', { last: true }); // after the newest live event
    s.end();
    await h.flush();
    const c = counts(h);
    for (let i = 0; i < 50; i++) expect(c.get(`TOOL_REQUEST_START:${JSON.stringify({ i })}`)).toBe(1);
    const others = [...c].filter(([k]) => k.startsWith('OTHER_CODE:'));
    expect(others).toHaveLength(8 + 5 + 1);
    expect(others.every(([, n]) => n === 1)).toBe(true);
    expect(h.lines()).toHaveLength(2 + 50 + 14);
  });

  it('with the span limit shifting events out, other code’s retained events are written once and ours never twice', async () => {
    const h = makeHarness({ eventCountLimit: 16 });
    harnesses.push(h);
    const s = h.voice.startSession({ id: 'conv_pos_2' });
    for (let i = 0; i < 400; i++) {
      s.logEvent('TOOL_REQUEST_START', { i });
      if (i % 3 === 0) s.span.addEvent('OTHER_CODE', { i }); // many ranges: exercises forgetting old ones
    }
    s.end();
    await h.flush();
    const c = counts(h);
    for (let i = 0; i < 400; i++) expect(c.get(`TOOL_REQUEST_START:${JSON.stringify({ i })}`)).toBe(1);
    // Other code's events exist only on the span: the ones it still holds at its end are written.
    const span = h.spans.getFinishedSpans().find((sp) => sp.name === 'voice.session')!;
    const retained = span.events.filter((e) => e.name === 'OTHER_CODE').map((e) => Number(e.attributes?.i));
    const written = [...c].filter(([k]) => k.startsWith('OTHER_CODE:')).map(([k, n]) => [JSON.parse(k.slice(11)).i, n]);
    expect(written.map(([i]) => i).sort((a, b) => a - b)).toEqual(retained.sort((a, b) => a - b));
    expect(written.every(([, n]) => n === 1)).toBe(true);
  });
});
