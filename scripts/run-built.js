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

/** The newest modification time under `entry` (a file or a folder), 0 when it does not exist. */
function newest(entry) {
  if (!existsSync(entry)) return 0;
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = stats.mtimeMs;
  for (const child of readdirSync(entry)) latest = Math.max(latest, newest(path.join(entry, child)));
  return latest;
}

function buildIsStale() {
  if (!existsSync(BUILT)) return true;
  const built = statSync(BUILT).mtimeMs;
  return SOURCES.some((source) => newest(path.join(root, source)) > built);
}

if (process.argv.includes('--check')) process.exit(buildIsStale() ? 1 : 0);

if (buildIsStale()) {
  console.error('sources changed since the last build; building...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const entry = path.resolve(root, process.argv[2] ?? 'dist/src/main.js');
// The entry sees the arguments it would see when run directly: node <entry> [args...].
process.argv.splice(1, 2, entry);
require(entry);
