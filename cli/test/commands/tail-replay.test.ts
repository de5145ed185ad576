import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.js';
import { cli, FIX, spawnCli } from './run.js';

async function waitFor(get: () => string, re: RegExp, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(get())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tail', () => {
  it('follows the newest file, prints events and each turn’s metrics, and moves to the next day’s file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-tail-'));
    const lines = readFileSync(join(FIX, 'ours-spec-case.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'voicemode_events_2025-06-22.jsonl'), lines[0] + '\n');
    const child = spawnCli(['tail', dir, '--json', '--lines', '0', '--interval', '50']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      // --lines 0 starts at the end of the file: append only once tail says it follows it
      await waitFor(() => err, /following .*voicemode_events_2025-06-22\.jsonl/);
      appendFileSync(join(dir, 'voicemode_events_2025-06-22.jsonl'), lines.slice(1, 6).join('\n') + '\n');
      await waitFor(() => out, /"event_type":"RECORDING_START"/);
      // turn 0 is complete once turn 1 begins
      await waitFor(() => out, /"kind":"turn_metrics","session_id":"conv_1750672800_5e1f00","turn":0,"metrics":\{"ttfa":\[0\.4\],"tts_playback":\[2\.55\]\}/);
      // rotation: the rest arrives in the next day's file, a torn line first written in two parts
      const next = join(dir, 'voicemode_events_2025-06-23.jsonl');
      const rest = lines.slice(6).join('\n') + '\n';
      writeFileSync(next, rest.slice(0, 50));
      await new Promise((r) => setTimeout(r, 200));
      appendFileSync(next, rest.slice(50));
      await waitFor(() => out, /"event_type":"SESSION_END"/);
      await waitFor(() => out, /"turn":1,"metrics":\{"ttfa":\[0\.3\],"tts_playback":\[1\.5\],"recording_duration":\[31\.8\],"stt_latency":\[0\.6\],"response_time":\[1\.2\],"voice_to_voice":\[1\.6\]\}/);
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string })
        .filter((o) => o.kind === 'event');
      expect(events).toHaveLength(13); // every line after the first, exactly once
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('text mode shows the last lines first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-tail2-'));
    writeFileSync(join(dir, 'voicemode_events_2025-06-23.jsonl'), readFileSync(join(FIX, 'ours-spec-case.jsonl')));
    const child = spawnCli(['tail', dir, '--lines', '3', '--interval', '50']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    // the turn's line is written after SESSION_END's: wait for it (Ctrl-C in between ends tail at once)
    await waitFor(() => out, /response_time 1\.200s/);
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).toMatch(/SESSION_END/);
    expect(out).toMatch(/TTS_PLAYBACK_START/);
    expect(out).not.toMatch(/RECORDING_END/);
    expect(out).toMatch(/turn 1 of conv_1750672800_5e1f00: [\s\S]*response_time 1\.200s/); // wrapped to 100 columns
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  events?: { name: string; timeUnixNano: string }[];
  status?: { code?: number };
  attributes?: { key: string; value: Record<string, unknown> }[];
}

function spansOf(receiver: OtlpReceiver): OtlpSpan[] {
  return receiver.traces().flatMap((body) =>
    ((body as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  );
}

describe('replay', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('rebuilds session > turn > operation spans with the original timestamps (our logs)', async () => {
    receiver = await startOtlpReceiver();
    const r = await cli(['replay', join(FIX, 'ours-spec-case.jsonl'), '--endpoint', receiver.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Replayed 1 session\(s\), 7 span\(s\), 14 event\(s\)/);
    const spans = spansOf(receiver);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentName = (s: OtlpSpan): string | null => (s.parentSpanId ? (byId.get(s.parentSpanId)?.name ?? '?') : null);
    expect(spans.map((s) => `${s.name}<${parentName(s)}`).sort()).toEqual([
      'voice.recording<voice.turn',
      'voice.session<null',
      'voice.stt<voice.turn',
      'voice.tts<voice.turn',
      'voice.tts<voice.turn',
      'voice.turn<voice.session',
      'voice.turn<voice.session',
    ]);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const session = spans.find((s) => s.name === 'voice.session')!;
    expect(session.startTimeUnixNano).toBe(String(Date.UTC(2025, 5, 23, 10, 0, 0) * 1e6));
    expect(BigInt(session.endTimeUnixNano) - BigInt(session.startTimeUnixNano)).toBe(38_100_000_000n);
    const rec = spans.find((s) => s.name === 'voice.recording')!;
    expect(BigInt(rec.endTimeUnixNano) - BigInt(rec.startTimeUnixNano)).toBe(31_800_000_000n);
    expect(rec.events!.map((e) => e.name)).toEqual(['RECORDING_START', 'RECORDING_END']);
  });

  it('Python logs (no span ids): a TTS error and its retry become two tts spans, the failed one with status ERROR', async () => {
    receiver = await startOtlpReceiver();
    const r = await cli(['replay', join(FIX, 'python-variant.jsonl'), '--endpoint', `${receiver.url}/v1/traces`]);
    expect(r.code).toBe(0);
    const spans = spansOf(receiver);
    const sessionA = spans.find((s) => s.name === 'voice.session' && s.attributes!.some((a) => a.value.stringValue === 'conv_a'))!;
    const inA = spans.filter((s) => s.traceId === sessionA.traceId);
    const tts = inA.filter((s) => s.name === 'voice.tts');
    expect(tts).toHaveLength(3);
    expect(tts.filter((s) => s.status?.code === 2)).toHaveLength(1);
    expect(spans.filter((s) => s.name === 'voice.event')).toHaveLength(1); // the null-session event
  });

  it('an unreachable endpoint is a data error (exit 1), one line', async () => {
    const r = await cli(['replay', join(FIX, 'ours-spec-case.jsonl'), '--endpoint', 'http://127.0.0.1:9', '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^voicemode-events: export to http:\/\/127\.0\.0\.1:9\/v1\/traces failed/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
