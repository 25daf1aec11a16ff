import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Who holds an embedded data folder: written into `<dataDir>.lock` by the process that opened it. */
export interface EmbeddedLockHolder {
  pid: number;
  /** The command line of the holder, to name it in messages. */
  command: string;
  /** The holder's PGlite socket server (postgres:// URL); other processes may connect to it. */
  url: string;
  startedAt: string;
}

export interface EmbeddedLock {
  path: string;
  /** Publishes the socket URL once the socket server listens. */
  setUrl(url: string): void;
  release(): void;
}

/** Thrown when another live process has the folder open and cannot be shared. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: EmbeddedLockHolder,
  ) {
    super(
      `The embedded database in ${dataDir} is open in process ${holder.pid} (${holder.command}, since ${holder.startedAt}). ` +
        'Two processes must never open one PGlite folder: stop that process first, or set DATABASE_URL to use PostgreSQL.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

export function lockPathOf(dataDir: string): string {
  return `${path.resolve(dataDir)}.lock`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the folder's lock, or null (no lock, or a stale one left by a process that died). */
export function currentHolder(dataDir: string): EmbeddedLockHolder | null {
  let text: string;
  try {
    text = readFileSync(lockPathOf(dataDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const holder = JSON.parse(text) as EmbeddedLockHolder;
    if (Number.isSafeInteger(holder.pid) && isAlive(holder.pid)) return holder;
  } catch {
    // A torn write by a process that died while writing it: stale.
  }
  return null;
}

/**
 * Takes the exclusive lock on an embedded data folder (a `<dataDir>.lock` file created with O_EXCL), or throws
 * EmbeddedDatabaseBusyError naming the live holder. A lock left by a process that died (SIGKILL, crash) is taken over.
 */
export function lockEmbeddedFolder(dataDir: string): EmbeddedLock {
  const lockPath = lockPathOf(dataDir);
  mkdirSync(path.dirname(lockPath), { recursive: true });
  const holder: EmbeddedLockHolder = { pid: process.pid, command: process.argv.slice(1).map((part) => path.basename(part)).join(' '), url: '', startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const descriptor = openSync(lockPath, 'wx');
      writeSync(descriptor, JSON.stringify(holder));
      closeSync(descriptor);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          const current = JSON.parse(readFileSync(lockPath, 'utf8')) as EmbeddedLockHolder;
          if (current.pid === process.pid) unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
      process.on('exit', release);
      return {
        path: lockPath,
        setUrl(url) {
          holder.url = url;
          const descriptor = openSync(lockPath, 'w');
          writeSync(descriptor, JSON.stringify(holder));
          closeSync(descriptor);
        },
        release,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const live = currentHolder(dataDir);
      if (live) throw new EmbeddedDatabaseBusyError(dataDir, live);
      try {
        unlinkSync(lockPath); // stale
      } catch {
        // another process took it over first; try again
      }
    }
  }
  throw new Error(`could not lock ${dataDir}: ${lockPath} keeps reappearing`);
}
