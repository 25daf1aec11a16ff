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

  /** Waits until `condition` holds (the page answers asynchronously), at most 15 s. */
  async function until(condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`not reached in 15 s: ${condition.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
    for (const chart of ['chart-funnel', 'chart-channel', 'chart-revenue', 'chart-daumau', 'chart-cohorts']) {
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

  it('support: the member page shows orders, holds, referrals, redemptions and the audit trail; no admin pages', async () => {
    const page = await open('support');
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    expect(await page.getByRole('link', { name: 'Earning rules and campaigns' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    // An admin page's address shows the members list to support.
    await page.goto(`${server.url}/console#/earning-rules`);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByLabel('Search by email, external id or referral code').fill('demo-jp-1');
    await page.getByRole('link', { name: 'demo-jp-1', exact: true }).first().click();
    for (const section of ['Orders and refunds', 'Open holds', 'Referrals', 'Reward redemptions', 'Audit trail']) await page.getByRole('heading', { name: section }).waitFor();
    // Opening the member was a support read: it is in the member's audit trail.
    await page.getByTestId('member-audit').getByRole('row').filter({ hasText: 'member.read' }).first().waitFor();
    await page.getByRole('heading', { name: 'Orders and refunds' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(DOCS, 'console-member-activity.png'), fullPage: false });
    await page.context().close();
  });

  it('admin: every programme page opens accessibly; an earning rule shows the API error next to its field, then saves and ends', async () => {
    const page = await open('admin');
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByRole('link', { name: 'Earning rules and campaigns' }).click();
    await page.getByRole('heading', { name: 'Earning rules and campaigns' }).waitFor();
    await page.getByRole('button', { name: 'New earning rule' }).click();
    const form = page.getByTestId('earning-rule-form');
    await form.getByLabel('Code').fill('E2E_CAMPAIGN');
    await form.getByLabel('Name').fill('E2E double points');
    await form.getByLabel('Markets').fill('DE, XX');
    await form.getByLabel('Multiplier').fill('2');
    await form.getByRole('button', { name: 'Save' }).click();
    // The API's BAD_USER_INPUT for markets, shown on the Markets field.
    await form.getByText('must be ISO 3166-1 alpha-2 codes').waitFor();
    expect(await form.getByLabel('Markets').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'earning rule form');
    await form.getByLabel('Markets').fill('DE, FR');
    await form.getByRole('button', { name: 'Save' }).click();
    const row = page.getByTestId('earning-rules').getByRole('row').filter({ hasText: 'E2E_CAMPAIGN' });
    await row.waitFor();
    expect(await row.innerText()).toContain('DE, FR');
    // The form's dialog fades out after the save; axe would read its title mid-fade as low contrast.
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await expectAccessible(page, 'earning rules');
    await page.getByRole('button', { name: 'End now E2E_CAMPAIGN' }).click();
    await row.getByText('Ended').waitFor();

    const pages: [string, string, string | null][] = [
      ['Rewards and stock', 'Rewards and stock', null],
      ['Exchange rates', 'Exchange rates', 'exchange-rate-form'],
      ['Points currencies', 'Points currencies', 'points-currencies'],
      ['Perks', 'Perks', 'perks'],
      ['LTV', 'Customer lifetime value', 'ltv-runs'],
      ['Webhooks', 'Webhooks', 'webhook-form'],
      ['Audit log', 'Audit log', 'audit-log'],
    ];
    for (const [link, heading, testId] of pages) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      if (testId) await page.getByTestId(testId).first().waitFor();
      else await page.getByText('Loading…').waitFor({ state: 'detached' });
      await expectAccessible(page, heading);
    }
    // The audit log, filtered by the API: the rule's ending, by an admin; nothing by storefronts.
    const filters = page.getByTestId('audit-filters');
    await filters.getByLabel('Action').fill('earning-rule.end');
    await filters.getByLabel('Role').selectOption('admin');
    await filters.getByRole('button', { name: 'Filter' }).click();
    const audit = page.getByTestId('audit-log');
    const actions = async () => (await audit.getByRole('row').allInnerTexts()).slice(1).map((text) => /[\w-]+\.[\w-]+/.exec(text)?.[0]);
    await until(async () => JSON.stringify(await actions()) === JSON.stringify(['earning-rule.end']));
    expect(await audit.getByRole('row').nth(1).innerText()).toContain('admin: admin-e2e');
    await filters.getByLabel('Role').selectOption('storefront');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('Nothing here yet').waitFor();
    await expectAccessible(page, 'audit log filtered');

    // Points currencies: editing PTS shows the API's error next to the field, then saves what acts from now on.
    await page.getByRole('link', { name: 'Points currencies', exact: true }).click();
    await page.getByRole('button', { name: 'Edit PTS' }).click();
    const edit = page.getByTestId('points-currency-edit-form');
    expect(await edit.getByLabel('Code').isDisabled()).toBe(true);
    await edit.getByLabel('Expiry (months)').fill('121');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByText('must be a whole number of months from 1 to 120').waitFor();
    expect(await edit.getByLabel('Expiry (months)').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'points currency edit form');
    await edit.getByLabel('Expiry (months)').fill('18');
    await edit.getByLabel('Name').fill('Perk points');
    await edit.getByRole('button', { name: 'Save' }).click();
    const pts = page.getByTestId('points-currencies').getByRole('row').filter({ hasText: 'PTS' });
    await pts.getByText('Perk points').waitFor();
    expect(await pts.innerText()).toContain('18');
    await page.context().close();
  });

  it('logged no console errors on any page', () => {
    expect(problems).toEqual([]);
  });
});
