#!/usr/bin/env node
/*
 * First load of /console from the built assets, with a cold browser cache:
 *
 *   npm run console:first-load [-- --runs 5] [-- --url http://localhost:4000]     (after npm run build)
 *
 * Starts the built server (dist/src/main.js) on a free port, on DATABASE_URL when it is set, else on an embedded
 * database in a temporary directory (the sign-in page reads nothing from it); or measures a server already running
 * at --url. Then, for each run, opens /console in a new headless Chromium context (nothing cached) and prints the
 * time from navigation start until the sign-in page is interactive (its token field visible and enabled, and its
 * sign-in button visible, in the same frame), the DOMContentLoaded and load events, and the bytes transferred (the document and every
 * resource, headers included, as the browser's resource timing reports them). Chromium is Debian's
 * (/usr/bin/chromium, or CHROMIUM_PATH).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url, child, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the server was not ready after ${seconds} s`);
}

async function startServer() {
  const port = await freePort();
  const dataDir = process.env.DATABASE_URL ? null : mkdtempSync(path.join(tmpdir(), 'console-first-load-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', JOB_INTERVAL_SECONDS: '3600', ...(dataDir ? { DATA_DIR: dataDir } : {}) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, child, 600);
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function measure(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'en-US' });
  const page = await context.newPage();
  try {
    await page.goto(`${url}/console`, { waitUntil: 'commit' });
    // Interactive: the first frame in which the token field is visible and enabled and the sign-in button is shown.
    const handle = await page.waitForFunction(
      () => {
        const visible = (element) => element !== null && element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
        const field = document.querySelector('input[type=password]');
        const button = document.querySelector('button[type=submit]');
        return visible(field) && !field.disabled && visible(button) ? performance.now() : null;
      },
      undefined,
      { polling: 'raf', timeout: 30_000 },
    );
    const interactiveMs = await handle.jsonValue();
    await page.waitForLoadState('load');
    const timing = await page.evaluate(() => {
      const [navigation] = performance.getEntriesByType('navigation');
      const resources = performance.getEntriesByType('resource');
      return {
        domContentLoadedMs: navigation.domContentLoadedEventEnd,
        loadMs: navigation.loadEventEnd,
        bytes: navigation.transferSize + resources.reduce((sum, entry) => sum + entry.transferSize, 0),
        requests: 1 + resources.length,
      };
    });
    return { interactiveMs, ...timing };
  } finally {
    await context.close();
  }
}

const runs = Number(option('runs', '5'));
const given = option('url', null);
const server = given ? { url: given.replace(/\/$/, ''), stop: async () => {} } : await startServer();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const results = [];
  for (let run = 1; run <= runs; run += 1) {
    const result = await measure(browser, server.url);
    results.push(result);
    console.log(
      `run ${run}: sign-in page interactive after ${Math.round(result.interactiveMs)} ms (DOMContentLoaded ${Math.round(result.domContentLoadedMs)} ms, load ${Math.round(result.loadMs)} ms), ${(result.bytes / 1024).toFixed(0)} KiB transferred in ${result.requests} requests`,
    );
  }
  const sorted = results.map((result) => result.interactiveMs).sort((a, b) => a - b);
  console.log(`median of ${runs} cold loads: sign-in page interactive after ${Math.round(sorted[Math.floor((runs - 1) / 2)])} ms; slowest ${Math.round(sorted[runs - 1])} ms`);
} finally {
  await browser.close();
  await server.stop();
}
