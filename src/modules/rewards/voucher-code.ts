import { randomCode, UNAMBIGUOUS_ALPHABET } from '../referrals/referral-code';

/** 20 characters of the 31-letter alphabet: log2(31^20), about 99 bits from crypto.randomInt; unguessable. */
const VOUCHER_LENGTH = 20;

/** A new voucher code, grouped for reading aloud: XXXX-XXXX-XXXX-XXXX-XXXX. */
export function newVoucherCode(): string {
  return randomCode(VOUCHER_LENGTH).match(/.{4}/g)!.join('-');
}

/** How clients may type a voucher: any case, with or without dashes and spaces. */
export function normaliseVoucherCode(code: string): string | null {
  const compact = code.replace(/[\s-]/g, '').toUpperCase();
  if (compact.length !== VOUCHER_LENGTH || [...compact].some((character) => !UNAMBIGUOUS_ALPHABET.includes(character))) return null;
  return compact.match(/.{4}/g)!.join('-');
}
