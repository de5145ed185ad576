import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_PARENTS, OPERATION_KINDS, SEGMENT_NAMES, deriveMetrics, parseTimestampUs } from '../../../test/helpers/lib.js';
import { HISTOGRAMS, LATENCY_BUCKETS_S } from '../../../test/helpers/lib.js';
import { GEN_AI_DURATION, GEN_AI_TOKEN_USAGE, SEGMENT_HISTOGRAM, USAGE_COUNTERS } from '../../../src/metrics/otel-instruments.js';
import { lineToRecord, readLines, tempDir } from '../../../test/helpers/harness.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.js';
import { decodeMetrics, decodeSpans, total, type DecodedPoint, type DecodedSpan } from '../../../test/otel/otlp-json.js';

/**
 * The real demo binary, exporting to a real OTLP/HTTP receiver on loopback: what arrives must
 * be the same conversations the JSONL file records, span by span and event by event, and
 * the histograms must count exactly the pairs the JSONL analysis finds.
 */
const bin = resolve('cli/dist/main.js');
const run = promisify(execFile);

let receiver: OtlpReceiver;
let dir: string;
let lines: Record<string, unknown>[];
let spans: DecodedSpan[];
let points: DecodedPoint[];
let stderr: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  dir = join(tempDir('vme-otlp-'), 'logs');
  const r = await run(
    process.execPath,
    [bin, 'demo', '--dir', dir, '--sessions', '3', '--turns', '4', '--speed', '100', '--seed', '22', '--error-rate', '0.3'],
    {
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-test-token=abc%20def',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=voice',
        // Longer than the run: everything that arrives comes from the flush before exit.
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
        OTEL_SERVICE_NAME: '',
      },
      encoding: 'utf8',
    },
  );
  stderr = r.stderr;
  lines = readLines(dir);
  spans = decodeSpans(receiver.traces());
  const metricBodies = receiver.metrics();
  points = decodeMetrics(metricBodies[metricBodies.length - 1]);
}, 60_000);

afterAll(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the demo over OTLP/HTTP (JSON) to a loopback receiver', () => {
  it('sends traces and metrics as JSON with the headers from OTEL_EXPORTER_OTLP_HEADERS, and warns about nothing', () => {
    expect(stderr).toBe('');
    expect(receiver.traces().length).toBeGreaterThan(0);
    expect(receiver.metrics().length).toBeGreaterThan(0);
    for (const r of receiver.requests) {
      expect(typeof r.body).toBe('object');
      expect(r.headers['x-test-token']).toBe('abc def');
      expect(String(r.headers['content-type'])).toContain('application/json');
    }
  });

  it('carries the resource: service name, OTEL_RESOURCE_ATTRIBUTES', () => {
    for (const s of spans) {
      expect(s.resource['service.name']).toBe('voicemode-demo');
      expect(s.resource['deployment.environment']).toBe('test');
      expect(s.resource.team).toBe('voice');
    }
    expect(points[0]!.resource['service.name']).toBe('voicemode-demo');
  });

  it('has one root span per session with session.id, and every span under its allowed parent', () => {
    const sessions = new Set(lines.map((l) => l.session_id as string));
    expect(sessions.size).toBe(3);
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => s.name)).toEqual(roots.map(() => 'voice.session'));
    expect(new Set(roots.map((s) => s.attributes['session.id']))).toEqual(sessions);
    expect(new Set(roots.map((s) => s.traceId)).size).toBe(3);

    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(byId.size).toBe(spans.length);
    for (const s of spans) {
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      if (s.parentSpanId) expect(parent, `parent of ${s.name} arrived`).toBeDefined();
      expect(ALLOWED_PARENTS[s.name], s.name).toContain(parent ? parent.name : null);
      if (parent) expect(s.traceId).toBe(parent.traceId);
      expect(s.endNs >= s.startNs).toBe(true);
    }
    for (const name of ['voice.turn', 'voice.tts', 'voice.recording', 'voice.stt', 'voice.llm']) {
      expect(spans.some((s) => s.name === name), name).toBe(true);
    }
  });

  it('has every JSONL line as a span event on the span named by its span_id, at the same microsecond', () => {
    expect(lines.length).toBeGreaterThan(50);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const totalEvents = spans.reduce((a, s) => a + s.events.length, 0);
    expect(totalEvents).toBe(lines.length);
    for (const l of lines) {
      const span = byId.get(l.span_id as string);
      expect(span, `span ${l.span_id} of ${l.event_type}`).toBeDefined();
      expect(span!.traceId).toBe(l.trace_id);
      const us = BigInt(parseTimestampUs(l.timestamp as string));
      const match = span!.events.filter((e) => e.name === l.event_type && e.timeNs / 1000n === us);
      expect(match.length, `${l.event_type} at ${l.timestamp} on ${span!.name}`).toBe(1);
      expect(match[0]!.timeNs % 1000n).toBe(0n);
    }
  });

  it('counts in the TTFA and response-time histograms exactly the pairs in the JSONL file', () => {
    const { samples } = deriveMetrics(lines.map(lineToRecord));
    const count = (m: string) => samples.filter((s) => s.metric === m).length;
    expect(count('ttfa')).toBeGreaterThan(5);
    expect(count('response_time')).toBeGreaterThan(5);
    expect(total(points, HISTOGRAMS.ttfa.name)).toBe(count('ttfa'));
    expect(total(points, HISTOGRAMS.response_time.name)).toBe(count('response_time'));
    for (const metric of ['tts_playback', 'recording_duration', 'stt_latency', 'voice_to_voice'] as const) {
      expect(total(points, HISTOGRAMS[metric].name), metric).toBe(count(metric));
    }
    // The sum of the histogram is the sum of the JSONL values (same microseconds, same derivation).
    const jsonlSum = samples.filter((s) => s.metric === 'ttfa').reduce((a, s) => a + s.seconds, 0);
    const body = receiver.metrics()[receiver.metrics().length - 1] as { resourceMetrics: { scopeMetrics: { metrics: { name: string; histogram?: { dataPoints: { sum: number }[] } }[] }[] }[] };
    const ttfa = body.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).find((m) => m.name === HISTOGRAMS.ttfa.name)!;
    const otelSum = ttfa.histogram!.dataPoints.reduce((a, p) => a + Number(p.sum), 0);
    expect(otelSum).toBeCloseTo(jsonlSum, 6);
  });

  it('uses seconds, voice-latency buckets and low-cardinality attributes only', () => {
    const allowed = new Set(['provider', 'model', 'voice', 'transport', 'outcome', 'event_type', 'stage', 'error_type', 'segment']);
    // The GenAI semconv metrics use the convention's own attribute names.
    const genAi = new Set(['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.token.type', 'error.type']);
    for (const p of points) {
      const names = p.metric.startsWith('gen_ai.') ? genAi : allowed;
      for (const k of Object.keys(p.attributes)) expect(names, `${p.metric} attribute ${k}`).toContain(k);
      if (p.metric === GEN_AI_DURATION) expect(p.explicitBounds![0]).toBe(0.01); // the convention's advised buckets
      else if (p.kind === 'histogram' && p.metric !== GEN_AI_TOKEN_USAGE) {
        expect(p.unit).toBe('s');
        expect(p.explicitBounds).toEqual([...LATENCY_BUCKETS_S]);
      }
    }
    const ttfa = points.find((p) => p.metric === HISTOGRAMS.ttfa.name)!;
    expect(ttfa.attributes).toMatchObject({ provider: 'openai', model: 'tts-1', voice: 'alloy', transport: 'local' });
    const stt = points.filter((p) => p.metric === HISTOGRAMS.stt_latency.name).map((p) => p.attributes.outcome);
    expect(new Set(stt)).toEqual(new Set(['transcribed', 'no_speech']));
  });

  it('carries the GenAI attributes on every operation span and gen_ai.conversation.id on every span of a session', () => {
    const ops = spans.filter((s) => s.name !== 'voice.session' && s.name !== 'voice.turn');
    expect(ops.length).toBeGreaterThan(20);
    for (const s of spans) expect(s.attributes['gen_ai.conversation.id'], s.name).toBe(s.attributes['session.id']);
    for (const s of ops) {
      const kind = Object.values(OPERATION_KINDS).find((k) => k.span === s.name)!;
      expect(s.attributes['gen_ai.operation.name'], s.name).toBe(kind.genAiOperation);
      if (kind.genAiOperation === undefined) continue;
      expect(s.attributes['gen_ai.provider.name'], s.name).toBe(s.attributes['voice.provider']);
      expect(s.attributes['gen_ai.request.model'], s.name).toBe(s.attributes['voice.model']);
      expect(s.attributes['gen_ai.provider.name'], s.name).toEqual(expect.any(String));
    }
    for (const s of ops.filter((s) => s.name === 'voice.tts')) expect(s.attributes['gen_ai.speech.voice']).toBe('alloy');
    // LLM spans carry the usage their LLM_COMPLETE line logged.
    const completes = lines.filter((l) => l.event_type === 'LLM_COMPLETE');
    expect(completes.length).toBeGreaterThan(5);
    for (const l of completes) {
      const span = spans.find((s) => s.spanId === l.span_id)!;
      const data = l.data as { input_tokens: number; output_tokens: number };
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(data.input_tokens);
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(data.output_tokens);
    }
    // Where the demo failed an operation, its span has status ERROR and error.type.
    for (const l of lines.filter((l) => String(l.event_type).endsWith('_ERROR'))) {
      const span = spans.find((s) => s.spanId === l.span_id)!;
      expect(span.attributes['error.type']).toBe((l.data as { error_type: string }).error_type);
    }
  });

  it('records the GenAI semconv histograms and the reply segments, consistent with the JSONL file', () => {
    const opSpans = (name: string) => spans.filter((s) => s.name === name).length;
    const byOp = (op: string) => total(points, GEN_AI_DURATION, (a) => a['gen_ai.operation.name'] === op);
    expect(byOp('chat')).toBe(opSpans('voice.llm'));
    expect(byOp('text_to_speech')).toBe(opSpans('voice.tts'));
    expect(byOp('speech_to_text')).toBe(opSpans('voice.stt'));
    const failedChats = total(points, GEN_AI_DURATION, (a) => a['gen_ai.operation.name'] === 'chat' && a['error.type'] === 'LlmProviderError');
    expect(failedChats).toBe(lines.filter((l) => l.event_type === 'LLM_ERROR').length);
    expect(failedChats).toBeGreaterThan(0);
    const completes = lines.filter((l) => l.event_type === 'LLM_COMPLETE').map((l) => l.data as { input_tokens: number; output_tokens: number });
    const tokens = points.filter((p) => p.metric === GEN_AI_TOKEN_USAGE);
    for (const [type, key] of [['input', 'input_tokens'], ['output', 'output_tokens']] as const) {
      const pts = tokens.filter((p) => p.attributes['gen_ai.token.type'] === type);
      expect(pts.reduce((a, p) => a + p.value, 0), type).toBe(completes.length);
      expect(pts.reduce((a, p) => a + p.sum!, 0), type).toBe(completes.reduce((a, d) => a + d[key], 0));
    }
    const { samples } = deriveMetrics(lines.map(lineToRecord));
    const replies = samples.filter((s) => s.metric === 'voice_to_voice').length;
    expect(replies).toBeGreaterThan(5);
    for (const segment of SEGMENT_NAMES) expect(total(points, SEGMENT_HISTOGRAM, (a) => a.segment === segment), segment).toBe(replies);
  });

  it('marks barge-ins on the TTS and turn spans, and counts usage and interruptions (counters decoded)', () => {
    const interrupted = lines.filter((l) => l.event_type === 'TTS_INTERRUPTED');
    expect(interrupted.length).toBeGreaterThan(0);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const cutTurns = new Set<string>();
    for (const l of interrupted) {
      const tts = byId.get(l.span_id as string)!;
      expect(tts.attributes['voice.interrupted']).toBe(true);
      const turn = byId.get(tts.parentSpanId!)!;
      expect(turn.attributes['turn.interrupted']).toBe(true);
      expect(turn.attributes['gen_ai.agent.invocation.end_reason']).toBe('interrupted');
      cutTurns.add(turn.spanId);
      expect(tts.endNs <= turn.endNs).toBe(true); // the turn waited for its TTS to stop
    }
    for (const t of spans.filter((s) => s.name === 'voice.turn' && !cutTurns.has(s.spanId))) {
      expect(t.attributes['gen_ai.agent.invocation.end_reason']).toBe('completed');
    }
    expect(total(points, USAGE_COUNTERS.interruptions)).toBe(interrupted.length);
    const data = (type: string) => lines.filter((l) => l.event_type === type).map((l) => l.data as Record<string, number>);
    expect(total(points, USAGE_COUNTERS.ttsCharacters)).toBe(data('TTS_START').reduce((a, d) => a + d.characters!, 0));
    expect(total(points, USAGE_COUNTERS.sttAudio)).toBeCloseTo(data('STT_START').reduce((a, d) => a + d.audio_s!, 0), 6);
    expect(total(points, USAGE_COUNTERS.ttsAudio)).toBeGreaterThan(0);
    for (const s of spans.filter((s) => s.name === 'voice.stt')) expect(s.attributes['voice.stt.audio_s']).toEqual(expect.any(Number));
  });

  it('counts events by type, errors by stage and type, and ends with no open session', () => {
    expect(total(points, 'voice.events')).toBe(lines.length);
    for (const type of ['TTS_START', 'SESSION_END', 'TTS_ERROR']) {
      expect(total(points, 'voice.events', (a) => a.event_type === type), type).toBe(lines.filter((l) => l.event_type === type).length);
    }
    const ttsErrors = lines.filter((l) => l.event_type === 'TTS_ERROR').length;
    expect(ttsErrors).toBeGreaterThan(0);
    expect(total(points, 'voice.errors', (a) => a.stage === 'tts')).toBe(ttsErrors);
    const open = points.filter((p) => p.metric === 'voice.sessions.open');
    expect(open.length).toBe(1);
    expect(open[0]!.isMonotonic).toBe(false);
    expect(open[0]!.value).toBe(0);
  });
});
