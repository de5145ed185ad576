import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The packages' public surface is a decision: this test lists it. Adding an export means adding
 * it here and documenting it in docs/api.md; the internal entry holds exactly what the CLI uses.
 */
const ENTRIES = {
  '.': { dist: 'dist/index.js', src: 'src/index.ts' },
  './sdk': { dist: 'dist/sdk/index.js', src: 'src/sdk/index.ts' },
  './metrics': { dist: 'dist/metrics/index.js', src: 'src/metrics/index.ts' },
  './internal': { dist: 'dist/internal.js', src: 'src/internal.ts' },
} as const;

const VALUES: Record<keyof typeof ENTRIES, string[]> = {
  '.': ['ALLOWED_PARENTS', 'EVENT_TYPES', 'EventLogger', 'ManualClock', 'MonotonicClock', 'TRACER_NAME', 'VOICE_LOOP_EVENT_TYPES', 'VoiceEvents', 'createVoiceEvents', 'isValidEventType'],
  './sdk': ['DEFAULT_EVENT_COUNT_LIMIT', 'JsonlEventProcessor', 'JsonlFileWriter', 'JsonlSpanExporter', 'LATENCY_BUCKETS_S', 'installExitHooks', 'installVoiceInstruments', 'startTelemetry'],
  './metrics': ['METRIC_NAMES', 'MetricsDeriver', 'SEGMENT_NAMES', 'SERIES_NAMES', 'StatsAccumulator', 'deriveMetrics', 'isSegment', 'zeroCounts'],
  './internal': [], // checked against what cli/src imports
};
const TYPES: Record<Exclude<keyof typeof ENTRIES, './internal'>, string[]> = {
  '.': [
    'Clock', 'EventLogOptions', 'EventLoggerOptions', 'EventRecord', 'EventType', 'LlmInput', 'LlmOperation', 'LlmResult', 'LlmUsage',
    'Operation', 'OperationInfo', 'OperationKind', 'RecordingInput', 'RecordingOperation', 'RedactMode', 'Rotation', 'Session',
    'SessionMetrics', 'SessionOptions', 'SpecEventType', 'SttInput', 'SttOperation', 'SttResult', 'TtsInput', 'TtsOperation',
    'TtsStreamOptions', 'Turn', 'TurnMetrics', 'VoiceEventsOptions', 'VoiceLoopEventType', 'Warn',
  ],
  './sdk': ['BatchOptions', 'ExitHookActions', 'ExportOptions', 'ExportPipeline', 'JsonlFileWriterOptions', 'MetricsOptions', 'OtlpOptions', 'PrometheusOptions', 'Telemetry', 'TelemetryOptions'],
  './metrics': ['DerivationTotals', 'IncompleteListener', 'MetricCounts', 'MetricName', 'MetricSample', 'MetricStats', 'SampleLabels', 'SampleListener', 'SampleSink', 'SegmentName', 'SeriesName'],
};

/** Names in an entry's `export { ... }` / `export type { ... }` statements, split into values and types. */
function declaredExports(file: string): { values: string[]; types: string[] } {
  const text = readFileSync(file, 'utf8');
  const values: string[] = [];
  const types: string[] = [];
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}\s+from/g)) {
    for (const raw of m[2]!.split(',')) {
      const item = raw.trim();
      if (!item) continue;
      const isType = m[1] !== undefined || item.startsWith('type ');
      const name = item.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      (isType ? types : values).push(name);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

function cliSources(dir = 'cli/src'): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? cliSources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('package exports (#15)', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

  it('the exports map has exactly the documented entries, each with types', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './sdk', './metrics', './internal', './package.json']);
    for (const [entry, { dist }] of Object.entries(ENTRIES)) {
      expect(pkg.exports[entry]).toEqual({ types: `./${dist.replace(/\.js$/, '.d.ts')}`, import: `./${dist}` });
    }
  });

  it.each(Object.keys(ENTRIES) as (keyof typeof ENTRIES)[])('%s: the built module exports exactly the listed values', async (entry) => {
    const mod = await import(join(process.cwd(), ENTRIES[entry].dist));
    const runtime = Object.keys(mod).sort();
    const declared = declaredExports(ENTRIES[entry].src);
    expect(runtime).toEqual(declared.values);
    if (entry !== './internal') {
      expect(runtime).toEqual([...VALUES[entry]].sort());
      expect(declared.types).toEqual([...TYPES[entry]].sort());
    }
  });

  it('every public export is documented in docs/api.md', () => {
    const doc = readFileSync('docs/api.md', 'utf8');
    const missing = (['.', './sdk', './metrics'] as const)
      .flatMap((e) => [...VALUES[e], ...TYPES[e]])
      .filter((name) => !doc.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('voicemode-events/internal holds exactly what the CLI imports from it', () => {
    const used = new Set<string>();
    for (const file of cliSources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'voicemode-events\/internal'/g)) {
        for (const raw of m[1]!.split(',')) if (raw.trim()) used.add(raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!.trim());
      }
    }
    const { values, types } = declaredExports(ENTRIES['./internal'].src);
    expect([...values, ...types].sort()).toEqual([...used].sort());
  });
});
