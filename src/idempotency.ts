import { createHash } from 'node:crypto';

/**
 * A stable hash of a request's normalised input, stored with its idempotency key or external id:
 * a replay with an equal hash returns the first result, a different hash is an IDEMPOTENCY_CONFLICT.
 * The input is hashed as JSON with bigints as strings and dates as ISO strings.
 */
export function requestHash(values: unknown[]): string {
  return createHash('sha256').update(canonicalJson(values)).digest('hex');
}

const replacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/**
 * The JSON requestHash hashes. A flat list of strings, bigints, numbers, dates and nulls (every order the history
 * import hashes: a million at a time) is written directly; anything else goes through JSON.stringify with the same
 * result (test/unit/idempotency.test.ts compares the two).
 */
export function canonicalJson(values: unknown[]): string {
  let text = '[';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) text += ',';
    if (typeof value === 'string') text += JSON.stringify(value);
    else if (typeof value === 'bigint') text += `"${value}"`;
    else if (value === null || value === undefined) text += 'null';
    else if (value instanceof Date && !Number.isNaN(value.getTime())) text += `"${value.toISOString()}"`;
    else return JSON.stringify(values, replacer);
  }
  return text + ']';
}
