import { existsSync } from 'node:fs';
import path from 'node:path';

/** True when running the TypeScript sources (Jest, swc), false when running the compiled dist/. */
export const RUNNING_TYPESCRIPT = __filename.endsWith('.ts');

function findProjectRoot(start: string): string {
  let directory = start;
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${start}`);
    directory = parent;
  }
  return directory;
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
/** Migrations as TypeScript sources (where new ones are written). */
export const MIGRATIONS_TS_DIR = path.join(PROJECT_ROOT, 'migrations');
/** Migrations this process runs: the sources under TypeScript, the compiled files otherwise. */
export const MIGRATIONS_DIR = RUNNING_TYPESCRIPT ? MIGRATIONS_TS_DIR : path.join(PROJECT_ROOT, 'dist', 'migrations');
