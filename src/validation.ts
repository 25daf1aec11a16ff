import { BadUserInputError } from './errors';

/** External ids (members, orders, refunds) and idempotency keys: printable ASCII without spaces. */
const EXTERNAL_ID = /^[\x21-\x7e]{1,128}$/;

export function externalIdOrFail(value: string, field: string): string {
  const trimmed = value.trim();
  if (!EXTERNAL_ID.test(trimmed)) throw new BadUserInputError(field, 'must be 1 to 128 printable characters without spaces');
  return trimmed;
}

/** Clock skew tolerated for client-given times in the past (joinedAt, placedAt). */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

export function pastTimeOrFail(value: Date, field: string, now: Date = new Date()): Date {
  if (Number.isNaN(value.getTime()) || value.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw new BadUserInputError(field, 'must be a time in the past');
  }
  return value;
}

export function wholeNumberOrFail(value: number, field: string, range: { min: number; max?: number }): number {
  if (!Number.isSafeInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    throw new BadUserInputError(field, range.max === undefined ? `must be a whole number of at least ${range.min}` : `must be a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` has the form of an id this API issues (a UUID, either case). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** An id this API issued (a UUID), lower-cased; anything else is BAD_USER_INPUT naming `field` with `problem`. */
export function uuidOrFail(value: string, field: string, problem: string): string {
  if (!isUuid(value)) throw new BadUserInputError(field, problem);
  return value.toLowerCase();
}

/**
 * The path of the first string inside `value` (objects and arrays, walked) that contains U+0000, or null.
 * PostgreSQL text cannot hold NUL, so such input is refused at the boundary instead of failing in the database.
 */
export function pathOfNulCharacter(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'input' : null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = pathOfNulCharacter(value[index], `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = pathOfNulCharacter(inner, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}
