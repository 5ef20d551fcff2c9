import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/render/html.ts';
import { DEFAULT_BUDGETS, finalizeReport } from '../src/report/index.ts';
import type { Report } from '../src/report/model/types.ts';
import { exampleReport, largeReport, trafficReport } from './fixtures-reports/reports.ts';
import { groupBlocking } from '../src/report/format/blocking-groups.ts';

/**
 * The HTML report in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * it renders offline with no console error, the timeline holds one span per statement, and a
 * screenshot is kept in test-artifacts/. Without /usr/bin/chromium the test is skipped, unless
 * CI=true: then it fails (CI installs it: apt-get install chromium).
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const ARTIFACTS = path.resolve('test-artifacts');

if (!haveChromium && !inCi) {
  console.warn(`html-chromium.test.ts skipped: ${CHROMIUM} not found (Debian: apt-get install chromium)`);
}

describe.runIf(!haveChromium && inCi)('HTML report in Chromium (CI)', () => {
  it('needs Chromium', () => {
    throw new Error(`${CHROMIUM} not found: CI must install it (apt-get install -y chromium)`);
  });
});

describe.runIf(haveChromium)('HTML report in headless Chromium', () => {
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  async function open(name: string, report: Report) {
    const file = path.join(ARTIFACTS, `${name}.html`);
    fs.writeFileSync(file, renderHtml(report));
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // offline: anything but the file itself is refused, and recorded
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, problems, requests, file };
  }

  it('the example with traffic: renders with no console error, one span per statement, the waits, latency and errors', async () => {
    const report = trafficReport();
    finalizeReport(report, { budgets: DEFAULT_BUDGETS });
    const { page, problems, requests } = await open('report-traffic', report);
    const statements = report.migrations.reduce((t, m) => t + m.statements.length, 0);
    expect(await page.locator('svg.timeline rect[data-kind="statement"]').count()).toBe(statements);
    expect(await page.locator('svg.timeline rect[data-kind="migration"]').count()).toBe(report.migrations.length);
    expect(await page.locator('svg.timeline rect[data-kind="blocking"]').count()).toBe(report.blocking!.length);
    expect(await page.locator('svg.timeline rect[data-kind="lock-hold"]').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.timeline polyline[data-kind="latency"]').count()).toBe(3);
    expect(await page.locator('svg.timeline rect[data-kind="errors"]').count()).toBeGreaterThan(0);
    // every statement span is visible and inside the drawing
    const boxes = await page
      .locator('svg.timeline rect[data-kind="statement"]')
      .evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBoundingClientRect().width));
    expect(boxes.every((w) => w > 0)).toBe(true);
    expect(await page.locator('#compatibility table tbody tr').count()).toBe(report.compatibility!.states.length);
    // the table groups the waits per blocked query and statement (issue 15); the timeline has each one
    expect(await page.locator('#blocking table tbody tr').count()).toBe(groupBlocking(report.blocking!).length);
    expect(await page.locator('#statements table tbody tr').count()).toBe(statements);
    expect(await page.locator('h1 .verdict').textContent()).toBe('fail');
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-traffic.png'), fullPage: true });
    await page.locator('#timeline').screenshot({ path: path.join(ARTIFACTS, 'report-timeline.png') });
    expect(fs.statSync(path.join(ARTIFACTS, 'report-timeline.png')).size).toBeGreaterThan(5000);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('the real example (no traffic) and a 300-statement report render too', async () => {
    for (const [name, report] of [
      ['report-example', exampleReport()],
      ['report-large', largeReport(300)],
    ] as const) {
      const { page, problems, requests } = await open(name, report);
      const statements = report.migrations.reduce((t, m) => t + m.statements.length, 0);
      expect(await page.locator('svg.timeline rect[data-kind="statement"]').count()).toBe(statements);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: name === 'report-example' });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    }
  });
});
