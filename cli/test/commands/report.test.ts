import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { cli, ROOT } from './run.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && !process.env.CI) console.warn(`skipping the headless report test: ${CHROMIUM} is not installed (apt-get install chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'vme-report-'));
const out = join(dir, 'report.html');
let report: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  // three days of logs, so the daily chart has points
  for (const [i, day] of [5, 6, 7].entries()) {
    await generateEventsFile(join(dir, `voicemode_events_2026-01-0${day}.jsonl`), {
      events: 4000,
      format: i === 1 ? 'python' : 'ours',
      seed: day,
      startMs: Date.UTC(2026, 0, day, 9),
    });
  }
  // and a demo run with barge-ins and usage (the generator has neither barge-ins nor these prices' models)
  const demo = await cli(['demo', '--dir', dir, '--sessions', '3', '--turns', '6', '--speed', '100', '--seed', '4', '--barge-in-rate', '0.3']);
  expect(demo.code).toBe(0);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l) raw.push(JSON.parse(l) as { event_type: string; data: Record<string, unknown> });
  }
  report = await cli(['report', dir, '--out', out, '--prices', join(ROOT, 'docs/prices.example.json')]);
  noPrices = await cli(['report', dir, '--out', outNoPrices]);
}, 60_000);

const raw: { event_type: string; data: Record<string, unknown> }[] = [];
const outNoPrices = join(dir, 'report-no-prices.html');
let noPrices: { code: number | null; stdout: string; stderr: string };
const count = (type: string): number => raw.filter((l) => l.event_type === type).length;

describe('report', () => {
  it('writes one self-contained HTML file (no network references)', () => {
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/Report written to .*report\.html/);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)[^\s"']+\.(js|css)/);
    expect(html).toContain('Slowest turns');
    expect(html).toContain('Anomalies');
    expect(html).toContain("Where a reply's time goes");
  });

  it('shows barge-in figures recounted from the raw lines, and usage with cost (unpriced models listed)', () => {
    const html = readFileSync(out, 'utf8');
    const cut = count('TTS_INTERRUPTED');
    const replies = count('TTS_START') - count('TTS_ERROR');
    expect(cut).toBeGreaterThan(0);
    expect(html).toContain(`<b id="interrupted">${cut}</b> interrupted of ${replies} TTS operations`);
    expect(html).toContain(`<b id="interruption-rate">${((100 * cut) / replies).toFixed(1)}%</b>`);
    // barge_in_stop: one sample per barge-in that followed the user's SPEECH_START during the TTS
    expect(html).toMatch(/<td>barge_in_stop \(the user spoke to the assistant stopping\)<\/td><td>[1-9]\d*<\/td>/);
    // cost: the demo's tts-1 characters at the example's price, recounted from the raw lines
    const chars = raw
      .filter((l) => l.event_type === 'TTS_START' && l.data.provider === 'openai' && l.data.model === 'tts-1' && typeof l.data.characters === 'number')
      .reduce((n, l) => n + (l.data.characters as number), 0);
    const ttsCost = (chars * 15) / 1e6;
    expect(html).toContain(`<td>tts</td><td>openai</td><td>tts-1</td>`);
    expect(html).toContain(`${chars.toLocaleString('en-US')} characters</td><td>${ttsCost.toFixed(4)} USD</td>`);
    expect(html).toContain('id="cost-by-model"');
    // the generator's other providers have no price in the example: listed as unpriced, never free
    expect(html).toMatch(/<td>tts<\/td><td>elevenlabs<\/td><td>eleven_turbo_v2<\/td><td>\d+<\/td><td>[\d,]+ characters<\/td><td>unpriced<\/td>/);
    expect(html).toContain('Unpriced (no price in the table; not counted as free)');
    // without a price table: usage, no cost chart
    expect(noPrices.code).toBe(0);
    const plain = readFileSync(outNoPrices, 'utf8');
    expect(plain).toContain('No price table');
    expect(plain).not.toContain('id="cost-by-model"');
    expect(plain).toContain(`${chars.toLocaleString('en-US')} characters`);
  });

  it.skipIf(!hasChromium && !process.env.CI)('renders every chart in headless Chromium with no console error', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
      });
      await page.goto(`file://${out}`);
      await page.waitForSelector('body[data-charts]');
      expect(await page.getAttribute('body', 'data-charts')).toBe('10');
      // every canvas has drawn something (non-transparent pixels)
      const painted = await page.$$eval('canvas', (cs) =>
        cs.map((el) => {
          // runs in the page (no DOM lib in this tsconfig): a structural canvas type
          type Canvas = { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
          const c = el as unknown as Canvas;
          const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
          return n;
        }),
      );
      expect(painted).toHaveLength(10); // the 9th: the slowest replies stacked by segment; the 10th: cost by model
      // the barge-in figures are on the page as rendered
      expect(await page.textContent('#interrupted')).toBe(String(count('TTS_INTERRUPTED')));
      expect(await page.isVisible('#cost-by-model')).toBe(true);
      for (const n of painted) expect(n).toBeGreaterThan(500);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      if (process.env.VME_SCREENSHOT) await page.screenshot({ path: process.env.VME_SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
