import { BadUserInputError } from '../../src/errors';
import {
  canonicalEmail,
  newReferralCode,
  normaliseReferralCode,
  randomCode,
  UNAMBIGUOUS_ALPHABET,
  vanityCodeOrFail,
} from '../../src/modules/referrals/referral-code';
import { RejectionReason } from '../../src/modules/referrals/referral.entity';
import { ReferralFacts, rejectionReason } from '../../src/modules/referrals/referral-rules';
import { newVoucherCode, normaliseVoucherCode } from '../../src/modules/rewards/voucher-code';
import { localisedName, unavailableReason } from '../../src/modules/rewards/reward-policy';

describe('referral codes', () => {
  it('uses 31 characters without 0, O, 1, I or L', () => {
    expect(UNAMBIGUOUS_ALPHABET).toHaveLength(31);
    expect(new Set(UNAMBIGUOUS_ALPHABET).size).toBe(31);
    for (const confusable of '0O1IL') expect(UNAMBIGUOUS_ALPHABET).not.toContain(confusable);
  });

  it('generates 8 characters of that alphabet, different each time', () => {
    const codes = Array.from({ length: 2000 }, () => newReferralCode());
    for (const code of codes) expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(new Set(codes).size).toBe(2000);
  });

  it('draws every character of the alphabet (no character is left out by the sampling)', () => {
    const seen = new Set(randomCode(5000));
    expect([...seen].sort().join('')).toBe([...UNAMBIGUOUS_ALPHABET].sort().join(''));
  });

  it('normalises what clients type: any case, spaces and dashes', () => {
    expect(normaliseReferralCode(' abcd-ef 23 ')).toBe('ABCDEF23');
  });

  it('accepts a vanity code of letters and digits 2-9, normalised', () => {
    expect(vanityCodeOrFail('olivia-gold')).toBe('OLIVIAGOLD');
    expect(vanityCodeOrFail('Friend5')).toBe('FRIEND5');
  });

  it.each([
    ['abcd', 'must be 5 to 16 characters'],
    ['ABCDEFGHJKMNPQRST', 'must be 5 to 16 characters'],
    ['HELLO0', 'may only use the letters A to Z and the digits 2 to 9'],
    ['HELLO1', 'may only use the letters A to Z and the digits 2 to 9'],
    ['HÉLLO', 'may only use the letters A to Z and the digits 2 to 9'],
    ['MYADMIN', 'may not contain the reserved word ADMIN'],
    ['perkgraph', 'may not contain the reserved word PERKGRAPH'],
  ])('rejects the vanity code %s: %s', (code, problem) => {
    expect(() => vanityCodeOrFail(code)).toThrow(new BadUserInputError('code', problem));
  });
});

describe('canonicalEmail (self-referral)', () => {
  it.each([
    ['Ada@Example.com', 'ada@example.com'],
    ['a.d.a+promo@gmail.com', 'ada@gmail.com'],
    ['ADA+x+y@GoogleMail.com', 'ada@gmail.com'],
    // Other providers: only case, since dots and + may be significant there.
    ['a.da+promo@example.com', 'a.da+promo@example.com'],
  ])('%s is the mailbox %s', (email, canonical) => {
    expect(canonicalEmail(email)).toBe(canonical);
  });
});

describe('rejectionReason', () => {
  const clean: ReferralFacts = {
    referrerActive: true,
    referrerEmail: 'ada@gmail.com',
    refereeEmail: 'bob@example.com',
    sharedCard: false,
    sharedDevice: false,
    sharedIp: false,
  };

  it('passes a clean referral, with or without the cap', () => {
    expect(rejectionReason(clean, canonicalEmail)).toBeNull();
    expect(rejectionReason({ ...clean, qualifiedThisMonth: 19, monthlyCap: 20 }, canonicalEmail)).toBeNull();
  });

  it.each<[Partial<ReferralFacts>, RejectionReason]>([
    [{ referrerActive: false }, RejectionReason.REFERRER_INACTIVE],
    [{ refereeEmail: 'A.D.A+second@googlemail.com' }, RejectionReason.SELF_REFERRAL],
    [{ sharedCard: true }, RejectionReason.DUPLICATE_PAYMENT_METHOD],
    [{ sharedDevice: true }, RejectionReason.DUPLICATE_DEVICE],
    [{ sharedIp: true }, RejectionReason.DUPLICATE_IP],
    [{ qualifiedThisMonth: 20, monthlyCap: 20 }, RejectionReason.REFERRER_CAP_REACHED],
  ])('%j rejects with %s', (facts, reason) => {
    expect(rejectionReason({ ...clean, ...facts }, canonicalEmail)).toBe(reason);
  });

  it('names the first rule broken when several are', () => {
    expect(rejectionReason({ ...clean, sharedIp: true, sharedCard: true, qualifiedThisMonth: 99, monthlyCap: 1 }, canonicalEmail)).toBe(RejectionReason.DUPLICATE_PAYMENT_METHOD);
  });
});

describe('voucher codes', () => {
  it('are 20 characters of the unambiguous alphabet in groups of four, distinct', () => {
    const codes = Array.from({ length: 2000 }, () => newVoucherCode());
    for (const code of codes) expect(code).toMatch(/^([23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-){4}[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/);
    expect(new Set(codes).size).toBe(2000);
    // At least 80 bits of entropy.
    expect(20 * Math.log2(31)).toBeGreaterThanOrEqual(80);
  });

  it('normalise from any case and grouping, and refuse anything else', () => {
    expect(normaliseVoucherCode('abcd efgh-jkmn pqrs-tuvw')).toBe('ABCD-EFGH-JKMN-PQRS-TUVW');
    expect(normaliseVoucherCode('ABCD-EFGH-JKMN-PQRS-TUV')).toBeNull();
    expect(normaliseVoucherCode('ABCD-EFGH-JKMN-PQRS-TUV0')).toBeNull();
  });
});

describe('reward policy', () => {
  const names = { 'de-DE': 'Gutschein', en: 'Voucher', 'id-ID': 'Voucher belanja' };

  it.each([
    ['de-DE', 'Gutschein'],
    ['de-AT', 'Gutschein'],
    ['en-GB', 'Voucher'],
    ['id-ID', 'Voucher belanja'],
    ['fr-FR', 'Default'],
    [null, 'Default'],
  ])('names the reward for %s as %s', (locale, name) => {
    expect(localisedName('Default', names, locale)).toBe(name);
  });

  const now = new Date('2026-06-01T00:00:00Z');
  const open = { retiredAt: null, startsAt: null, endsAt: null, markets: [] as string[] };

  it.each([
    [open, 'DE', null],
    [{ ...open, markets: ['ID', 'MY'] }, 'MY', null],
    [{ ...open, markets: ['ID', 'MY'] }, 'DE', 'is not offered in DE'],
    [{ ...open, retiredAt: new Date('2026-05-01') }, 'DE', 'is retired'],
    [{ ...open, startsAt: new Date('2026-06-02') }, 'DE', 'is not available yet'],
    [{ ...open, endsAt: now }, 'DE', 'is no longer available'],
    [{ ...open, startsAt: new Date('2026-05-01'), endsAt: new Date('2026-07-01') }, 'DE', null],
  ])('availability %j in %s: %s', (reward, market, reason) => {
    expect(unavailableReason(reward, market, now)).toBe(reason);
  });
});
