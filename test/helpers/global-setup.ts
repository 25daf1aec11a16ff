import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Builds one migrated template per test run (in a child process); test files copy it instead of migrating. */
export default async function globalSetup(): Promise<void> {
  const output = execFileSync(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'build-template.ts')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = output.trim().split('\n');
  Object.assign(process.env, JSON.parse(lines[lines.length - 1]));
}
