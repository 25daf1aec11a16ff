import { createHash } from 'node:crypto';

/**
 * A stable hash of a request's normalised input, stored with its idempotency key or external id:
 * a replay with an equal hash returns the first result, a different hash is an IDEMPOTENCY_CONFLICT.
 */
export function requestHash(values: unknown[]): string {
  const canonical = JSON.stringify(values, (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Date) return value.toISOString();
    return value;
  });
  return createHash('sha256').update(canonical).digest('hex');
}
