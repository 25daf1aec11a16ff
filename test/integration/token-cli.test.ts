import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The real command (src/cli/token.ts) in its own process, as `npm run token` runs it (there from dist). */
function runToken(args: string[]) {
  return spawnSync(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'src', 'cli', 'token.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', JWT_SECRET: 'token-cli-test-secret-0123456789-abcdef' },
    encoding: 'utf8',
  });
}

describe('npm run token', () => {
  it('--help prints the usage and exits 0', () => {
    const result = runToken(['--help']);
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(/^Usage: npm run token -- --role ROLE \[--sub ID\] \[--expires 12h\]\n/);
    expect(result.stdout).toContain('--role     member, storefront, support, admin');
  });

  it('prints a token for a role, and refuses a missing role with the usage', () => {
    const token = runToken(['--role', 'support']);
    expect(token.status).toBe(0);
    expect(token.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const missing = runToken([]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--role must be one of member, storefront, support, admin\n\nUsage: npm run token');
  });
});
