import { randomInt } from 'node:crypto';
import { BadUserInputError } from '../../errors';

/** 31 characters: digits and upper-case letters without 0/O, 1/I/L, which readers confuse. */
export const UNAMBIGUOUS_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const REFERRAL_CODE_LENGTH = 8;

/** `length` characters drawn uniformly (crypto.randomInt rejects biased draws) from the unambiguous alphabet. */
export function randomCode(length: number): string {
  let code = '';
  for (let index = 0; index < length; index += 1) code += UNAMBIGUOUS_ALPHABET[randomInt(UNAMBIGUOUS_ALPHABET.length)];
  return code;
}

/**
 * A new member's referral code: 8 characters of the unambiguous alphabet (31^8, about 8.5e11 codes).
 * Uniqueness is the database's (members_referral_code_unique); callers retry on the rare collision.
 */
export function newReferralCode(): string {
  return randomCode(REFERRAL_CODE_LENGTH);
}

/** How clients may type a code: any case, with spaces or dashes. Stored and compared in upper case. */
export function normaliseReferralCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

export const VANITY_MIN_LENGTH = 5;
export const VANITY_MAX_LENGTH = 16;
/** Vanity codes may use every letter (FRIEND, OLIVIA), but no 0 or 1, which would be read as O or I/L. */
const VANITY = /^[A-Z2-9]+$/;
/** Codes that could pass for the programme or staff speaking. Matched as substrings. */
const RESERVED = ['ADMIN', 'SUPPORT', 'PERKGRAPH', 'OFFICIAL', 'STAFF', 'SYSTEM', 'REFERRAL', 'NULL', 'UNDEFINED', 'TEST'];

/** A vanity code, normalised; BAD_USER_INPUT on field `field` naming what is wrong. Uniqueness is checked on write. */
export function vanityCodeOrFail(code: string, field = 'code'): string {
  const normalised = normaliseReferralCode(code);
  if (normalised.length < VANITY_MIN_LENGTH || normalised.length > VANITY_MAX_LENGTH) {
    throw new BadUserInputError(field, `must be ${VANITY_MIN_LENGTH} to ${VANITY_MAX_LENGTH} characters`);
  }
  if (!VANITY.test(normalised)) throw new BadUserInputError(field, 'may only use the letters A to Z and the digits 2 to 9');
  const reserved = RESERVED.find((word) => normalised.includes(word));
  if (reserved) throw new BadUserInputError(field, `may not contain the reserved word ${reserved}`);
  return normalised;
}

/** Providers that ignore dots in the local part and deliver name+anything to name (Gmail-style). */
const GMAIL_STYLE = new Map([
  ['gmail.com', 'gmail.com'],
  ['googlemail.com', 'gmail.com'],
]);

/**
 * The mailbox an address delivers to, for the self-referral rule: lower case; for Gmail-style domains also
 * without dots and without a +suffix in the local part, and googlemail.com as gmail.com.
 */
export function canonicalEmail(email: string): string {
  const lower = email.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 0) return lower;
  const local = lower.slice(0, at);
  const domain = lower.slice(at + 1);
  const canonicalDomain = GMAIL_STYLE.get(domain);
  if (!canonicalDomain) return lower;
  return `${local.split('+')[0].replace(/\./g, '')}@${canonicalDomain}`;
}
