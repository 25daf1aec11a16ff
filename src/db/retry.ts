import { isTransactionConflict } from './errors';

export interface ConflictRetryOptions {
  /** Tries in all, the first included (at least 1). */
  attempts?: number;
  /** The first backoff's upper bound; each retry doubles it. A random wait up to the bound is taken ("full jitter"). */
  baseDelayMs?: number;
  /** Called before each retry with the attempt that failed (1-based) and its error. */
  onRetry?: (failedAttempt: number, error: unknown) => void;
  /** Injectable for tests of the schedule; defaults to Math.random. */
  random?: () => number;
}

export const DEFAULT_CONFLICT_ATTEMPTS = 3;
export const DEFAULT_CONFLICT_BASE_DELAY_MS = 25;

/** The wait before retry `retry` (1 for the first retry): uniform in [0, base * 2^(retry-1)). */
export function conflictBackoffMs(retry: number, baseDelayMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * baseDelayMs * 2 ** (retry - 1));
}

/**
 * Runs `work` (one whole transaction, or a whole idempotent command) and runs it again when it failed with a
 * serialization failure or a deadlock (isTransactionConflict), at most `attempts` times in all, with jittered
 * exponential backoff. Any other error, or the last conflict, is thrown as it is (a conflict then answers 503).
 *
 * Only for work that is safe to run twice: PostgreSQL rolled the failed transaction back, so a single transaction
 * is; several transactions in a row are only when the earlier ones are idempotent (by key, or replays).
 */
export async function withConflictRetry<T>(work: (attempt: number) => Promise<T>, options: ConflictRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_CONFLICT_ATTEMPTS);
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_CONFLICT_BASE_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= attempts || !isTransactionConflict(error)) throw error;
      options.onRetry?.(attempt, error);
      const wait = conflictBackoffMs(attempt, baseDelayMs, options.random);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
