// Memory and time per event for {items: new Array(1000).fill(oneMBString)} (issue 16, item 11), span kept open.
// node --expose-gc scripts/amplification.mjs [dist folder] [events]; docs/reliability.md has the figures.
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dist = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
const K = Number(process.argv[3] ?? 20);
const require = createRequire(new URL('../package.json', import.meta.url));
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { createVoiceEvents } = await import(`${dist}/index.js`);
const { JsonlEventProcessor, JsonlFileWriter } = await import(`${dist}/sdk/index.js`);
const dir = mkdtempSync(join(tmpdir(), 'vme-amp-'));
const jsonl = new JsonlEventProcessor({ writer: new JsonlFileWriter({ dir, rotation: 'daily', flushIntervalMs: 50 }) });
const provider = new TracerProvider({ spanProcessors: [jsonl], spanLimits: { eventCountLimit: 10_000 } });
const voice = createVoiceEvents({ tracer: provider.getTracer('amp') });
const oneMB = 'x'.repeat(1 << 20);
const data = { items: new Array(1000).fill(oneMB) };
const mem = () => { gc(); gc(); const m = process.memoryUsage(); return { heap: m.heapUsed, rss: m.rss, ext: m.external + m.arrayBuffers }; };
let result;
await voice.session(async (s) => {
  await s.tts({ text: 'hi' }, async (op) => {
    op.event('TTS_CHUNK', { warm: 1 });
    await jsonl.forceFlush();
    const m0 = mem();
    const c0 = process.cpuUsage(); const t0 = performance.now();
    for (let i = 0; i < K; i++) op.event('TTS_CHUNK', data);
    const wall = (performance.now() - t0) / K; const c = process.cpuUsage(c0);
    await jsonl.forceFlush();
    const m1 = mem();
    const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    result = { events: K, heap_per_event_mb: (m1.heap - m0.heap) / K / 2 ** 20, rss_per_event_mb: (m1.rss - m0.rss) / K / 2 ** 20,
      wall_ms_per_event: wall, cpu_ms_per_event: (c.user + c.system) / 1000 / K, file_bytes_per_event: Math.round(bytes / (K + 1)) };
  });
});
await provider.shutdown();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
