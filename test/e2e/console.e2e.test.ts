/// <reference lib="dom" />
import path from 'node:path';
import { existsSync } from 'node:fs';
import { chromium, Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { seedDemoData } from '../../src/db/seed';
import { CONSOLE_DIR } from '../../src/console.route';
import { startTestServer, TestServer } from '../helpers/server';

/** The console in Debian's Chromium against the real server on a real database with the demo programme. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS = path.join(__dirname, '..', '..', 'docs');

jest.setTimeout(180_000);

describe('the web console in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) throw new Error('build the console first: npm run build:console');
    server = await startTestServer();
    await seedDemoData(server.orm);
    // Score the demo members so the member page and the LTV:CAC chart have values.
    const run = await server.graphql('mutation { recomputeLtv { membersScored } }', undefined, { role: 'admin', subject: 'admin-e2e' });
    if (!(run.body.data?.recomputeLtv.membersScored > 0)) throw new Error(`LTV run failed: ${JSON.stringify(run.body)}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A page that records console errors and uncaught exceptions. */
  async function open(role: 'support' | 'admin'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'en-US' });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${role}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${role}: ${error.message}`));
    await page.goto(`${server.url}/console#token=${await server.token(role, `${role}-e2e`)}`);
    return page;
  }

  async function expectAccessible(page: Page, name: string): Promise<void> {
    const result = await new AxeBuilder({ page }).analyze();
    const serious = result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
    expect({ page: name, serious }).toEqual({ page: name, serious: [] });
  }

  it('support: finds a demo member, opens its page, adjusts points and sees the entry', async () => {
    const page = await open('support');
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    // The token left the address bar at once.
    expect(page.url()).not.toContain('token=');
    // Opens on every member, newest first.
    await page.getByRole('link', { name: /^demo-/ }).first().waitFor();
    await expectAccessible(page, 'members');

    await page.getByLabel('Search by email, external id or referral code').fill('demo-jp-1');
    await page.getByRole('row').filter({ hasText: 'demo-jp-1' }).first().waitFor();
    await page.getByRole('link', { name: 'demo-jp-1', exact: true }).click();
    await page.getByRole('heading', { name: 'demo-jp-1' }).waitFor();
    await page.getByText('Probability alive').waitFor();
    await expectAccessible(page, 'member');

    await page.getByRole('button', { name: 'Adjust points' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Your limit: 5000 points per adjustment').waitFor();
    await dialog.getByLabel('Points (negative to remove)').fill('6000');
    await dialog.getByRole('button', { name: 'Adjust' }).click();
    await dialog.getByText('Over your limit').waitFor();
    await dialog.getByLabel('Points (negative to remove)').fill('123');
    await dialog.getByLabel('Reason').fill('e2e goodwill');
    await expectAccessible(page, 'adjust dialog');
    // A double click adjusts once: the dialog's idempotency key is the same for both.
    await dialog.getByRole('button', { name: 'Adjust' }).dblclick();
    const entry = page.getByTestId('ledger').getByRole('row').filter({ hasText: 'e2e goodwill' });
    await entry.first().waitFor();
    expect(await entry.count()).toBe(1);
    expect(await entry.first().innerText()).toContain('+123');
    await page.screenshot({ path: path.join(DOCS, 'console-member.png'), fullPage: false });
    await page.context().close();
  });

  it('admin: the growth dashboard draws its charts; Arabic turns the page right to left', async () => {
    const page = await open('admin');
    await page.getByRole('link', { name: 'Growth' }).click();
    await page.getByRole('heading', { name: 'Growth' }).waitFor();
    for (const chart of ['chart-funnel', 'chart-channel', 'chart-cohorts']) {
      const canvas = page.getByTestId(chart).locator('canvas').first();
      await canvas.waitFor();
      // Drawn: the canvas holds pixels that are not transparent.
      const painted = await canvas.evaluate((element: HTMLCanvasElement) => {
        const data = element.getContext('2d')!.getImageData(0, 0, element.width, element.height).data;
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count += 1;
        return count;
      });
      expect({ chart, painted: painted > 1000 }).toEqual({ chart, painted: true });
    }
    await expectAccessible(page, 'growth');
    await page.screenshot({ path: path.join(DOCS, 'console-growth.png'), fullPage: true });

    await page.getByTestId('language').click();
    await page.getByRole('option', { name: 'العربية' }).click();
    await page.getByRole('heading', { name: 'النمو' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.dir, document.documentElement.lang])).toEqual(['rtl', 'ar']);
    await page.getByRole('link', { name: 'الأعضاء' }).waitFor();
    await expectAccessible(page, 'growth (ar)');
    await page.getByRole('link', { name: 'الأعضاء' }).click();
    await page.getByRole('heading', { name: 'الأعضاء' }).waitFor();
    await page.getByRole('columnheader', { name: 'النقاط المتاحة' }).waitFor();
    await page.context().close();
  });

  it('logged no console errors on any page', () => {
    expect(problems).toEqual([]);
  });
});
