#!/usr/bin/env node
/**
 * `node scripts/run-built.js dist/src/main.js [args...]` (npm start, and every CLI script): runs a built entry point,
 * building first only when a source is newer than the build. npm install builds (the prepare script), so a fresh
 * checkout starts without compiling. Plain JavaScript, so that it runs before anything is compiled.
 * `node scripts/run-built.js --check` only answers whether a build is needed (exit 0: up to date, 1: stale).
 */
'use strict';
const { statSync, readdirSync, existsSync } = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const SOURCES = ['src', 'migrations', 'seeds', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const BUILT = path.join(root, 'dist', 'src', 'main.js');
/** The web console (served by the server, so built for npm start only). */
const CONSOLE_SOURCES = ['console', 'schema.graphql', 'package-lock.json'];
const CONSOLE_BUILT = path.join(root, 'dist', 'console', 'index.html');

/** The newest modification time under `entry` (a file or a folder), 0 when it does not exist. */
function newest(entry) {
  if (!existsSync(entry)) return 0;
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = stats.mtimeMs;
  for (const child of readdirSync(entry)) latest = Math.max(latest, newest(path.join(entry, child)));
  return latest;
}

/** True when `built` is missing or older than a file under `sources`. */
function isStale(built, sources) {
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return sources.some((source) => newest(path.join(root, source)) > builtAt);
}

/** Runs `npm run <script>` when `stale`; exits with its status when it fails. */
function buildIf(stale, script, what) {
  if (!stale) return;
  console.error(`${what} changed since the last build; building (npm run ${script})...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const entry = path.resolve(root, process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'dist/src/main.js');
const serving = entry === BUILT;
if (process.argv.includes('--check')) {
  process.exit(isStale(BUILT, SOURCES) || (serving && isStale(CONSOLE_BUILT, CONSOLE_SOURCES)) ? 1 : 0);
}
buildIf(isStale(BUILT, SOURCES), 'build:server', 'the server\'s sources');
if (serving) buildIf(isStale(CONSOLE_BUILT, CONSOLE_SOURCES), 'build:console', 'the console\'s sources');
// The entry sees the arguments it would see when run directly: node <entry> [args...].
process.argv.splice(1, 2, entry);
require(entry);
