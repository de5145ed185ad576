import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { generateEventsFile } from '../../../bench/generate-events.js';
import { cli } from './run.js';

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
  report = await cli(['report', dir, '--out', out]);
});

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
      expect(await page.getAttribute('body', 'data-charts')).toBe('9');
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
      expect(painted).toHaveLength(9); // the 9th: the slowest replies stacked by segment
      for (const n of painted) expect(n).toBeGreaterThan(500);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      if (process.env.VME_SCREENSHOT) await page.screenshot({ path: process.env.VME_SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
