import { createHmac } from 'node:crypto';

/** What a hashed value is, so equal strings of different kinds never compare equal. */
export type HashedKind = 'DEVICE' | 'IP' | 'STRIPE_CUSTOMER';

/**
 * A keyed hash (HMAC-SHA256, hex) of a piece of personal data: equal inputs give equal hashes, so fraud rules and
 * look-ups can compare them, but without the key a hash cannot be tested against guesses (an IPv4 address has only
 * 2^32 values, so a plain hash would be reversible).
 */
export function personalDataHash(secret: string, kind: HashedKind, value: string): string {
  return createHmac('sha256', secret).update(`${kind}:${value}`).digest('hex');
}
