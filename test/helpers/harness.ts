import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import { ALLOWED_PARENTS, createVoiceEvents, parseTimestampUs, type Clock, type EventRecord, type VoiceEvents } from './lib.js';
import { JsonlEventProcessor, JsonlFileWriter } from './lib.js';
import type { Rotation } from '../../src/config.js';
import type { OpenFile } from '../../src/sink/jsonl-file-writer.js';

/** A per-test pipeline: real JSONL files in a temp folder, finished spans in memory. */
export interface Harness {
  dir: string;
  voice: VoiceEvents;
  provider: BasicTracerProvider;
  spans: InMemorySpanExporter;
  writer: JsonlFileWriter;
  warnings: string[];
  flush(): Promise<void>;
  lines(): Record<string, unknown>[];
  files(): string[];
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'vme-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function makeHarness(
  options: {
    clock?: Clock;
    rotation?: Rotation;
    eventCountLimit?: number;
    dir?: string;
    maxBufferedBytes?: number;
    openFile?: OpenFile;
    stallMs?: number;
  } = {},
): Harness {
  const dir = options.dir ?? join(tempDir(), 'logs');
  const warnings: string[] = [];
  const writer = new JsonlFileWriter({
    dir,
    rotation: options.rotation ?? 'daily',
    flushIntervalMs: 50,
    warn: (m) => warnings.push(m),
    ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
    ...(options.openFile ? { openFile: options.openFile } : {}),
    ...(options.stallMs ? { stallMs: options.stallMs } : {}),
  });
  const jsonl = new JsonlEventProcessor({ writer });
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [jsonl, new SimpleSpanProcessor(spans)],
    spanLimits: { eventCountLimit: options.eventCountLimit ?? 10_000 },
  });
  const voice = createVoiceEvents({ tracer: provider.getTracer('test'), ...(options.clock ? { clock: options.clock } : {}) });
  const h: Harness = {
    dir,
    voice,
    provider,
    spans,
    writer,
    warnings,
    flush: () => provider.forceFlush(),
    files: () => readdirSync(dir).sort(),
    lines: () => readLines(dir),
    cleanup: async () => {
      await provider.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Every JSONL line of every file in the folder, parsed, in file order. */
export function readLines(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line !== '') out.push(JSON.parse(line));
  }
  return out;
}

/** A parsed JSONL line of ours back to the record the derivation takes. */
export function lineToRecord(l: Record<string, unknown>): EventRecord {
  return {
    timestampUs: parseTimestampUs(l.timestamp as string),
    eventType: l.event_type as string,
    sessionId: l.session_id as string | null,
    data: l.data as Record<string, unknown>,
    spanId: l.span_id as string,
    traceId: l.trace_id as string,
    turn: l.turn as number | undefined,
  };
}

/** Checks every span's parent against the allowed-parent table (for every trace a test produces). */
export function expectAllowedTree(spans: ReadableSpan[]): void {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (const s of spans) {
    const allowed = ALLOWED_PARENTS[s.name];
    expect(allowed, `span name ${s.name} is in the table`).toBeDefined();
    const parentId = s.parentSpanContext?.spanId;
    const parent = parentId ? byId.get(parentId) : undefined;
    if (parentId) expect(parent, `parent of ${s.name} was exported too`).toBeDefined();
    expect(allowed, `${s.name} under ${parent?.name ?? 'nothing'}`).toContain(parent ? parent.name : null);
    if (parent) expect(s.spanContext().traceId).toBe(parent.spanContext().traceId);
  }
}
