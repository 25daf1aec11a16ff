import { requestHash } from '../../src/idempotency';
import { describe, it, expect } from '@jest/globals';
import { BadUserInputError } from '../../src/errors';
import {
  DEFAULT_LOCALE,
  Enrollment,
  EnrollmentInput,
  enrollmentHash,
  normaliseEnrollment,
} from '../../src/modules/members/member.validation';

const NOW = new Date('2024-06-01T12:00:00.000Z');

const base: EnrollmentInput = { externalId: 'cust-1', email: 'ada@example.com', country: 'GB' };

function enrol(overrides: Partial<EnrollmentInput> = {}): Enrollment {
  return normaliseEnrollment({ ...base, ...overrides }, NOW);
}

/** The field named by the BadUserInputError thrown for this input. */
function rejectedField(overrides: Partial<EnrollmentInput>): string {
  try {
    enrol(overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as BadUserInputError).field;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe('normaliseEnrollment', () => {
  it('returns the minimal input with defaults', () => {
    expect(enrol()).toEqual({
      externalId: 'cust-1',
      email: 'ada@example.com',
      country: 'GB',
      locale: 'en',
      birthday: null,
      acquisitionChannel: null,
      acquisitionCost: null,
      joinedAt: null,
      referralCode: null,
      deviceId: null,
      ip: null,
      stripeCustomerId: null,
    });
    expect(DEFAULT_LOCALE).toBe('en');
  });

  it('treats null optional fields like omitted ones', () => {
    expect(enrol({ locale: null, birthday: null, acquisitionChannel: null, acquisitionCost: null, joinedAt: null })).toEqual(enrol());
  });

  it('trims and lower-cases the email, upper-cases the country and trims the externalId', () => {
    const result = enrol({ email: '  Ada.Lovelace@Example.COM ', country: ' gb ', externalId: '  CUST-9  ' });
    expect(result.email).toBe('ada.lovelace@example.com');
    expect(result.country).toBe('GB');
    expect(result.externalId).toBe('CUST-9');
  });

  it.each([
    ['en-us', 'en-US'],
    ['ID-id', 'id-ID'],
    ['EN', 'en'],
    [' fr-ca ', 'fr-CA'],
    ['zh-hant-tw', 'zh-Hant-TW'],
  ])('canonicalises the locale %p to %p', (locale, canonical) => {
    expect(enrol({ locale }).locale).toBe(canonical);
  });

  it.each(['not a locale!', 'en_US', '', 'e'])('rejects the locale %p', (locale) => {
    expect(rejectedField({ locale })).toBe('locale');
  });

  it.each(['02-29', '01-31', '12-31', '04-30', ' 07-04 '])('accepts the birthday %p', (birthday) => {
    expect(enrol({ birthday }).birthday).toBe(birthday.trim());
  });

  it.each(['02-30', '04-31', '13-01', '00-10', '01-00', '2-3', '0229', '02/29', '2024-02-29', ''])(
    'rejects the birthday %p',
    (birthday) => {
      expect(rejectedField({ birthday })).toBe('birthday');
    },
  );

  it.each(['not-an-email', 'ada@', '@example.com', 'ada example@example.com', ''])('rejects the email %p', (email) => {
    expect(rejectedField({ email })).toBe('email');
  });

  it.each(['XX', 'USA', 'U', '', '12'])('rejects the country %p', (country) => {
    expect(rejectedField({ country })).toBe('country');
  });

  it.each([
    ['with an inner space', 'cust 1'],
    ['empty', ''],
    ['only spaces', '   '],
    ['129 characters', 'x'.repeat(129)],
    ['non-ASCII', 'cüst'],
    ['a tab', 'a\tb'],
  ])('rejects an externalId %s', (_label, externalId) => {
    expect(rejectedField({ externalId })).toBe('externalId');
  });

  it('accepts a 128-character externalId of printable ASCII', () => {
    const externalId = '!~'.repeat(64);
    expect(enrol({ externalId }).externalId).toBe(externalId);
  });

  it('lower-cases and trims the acquisition channel', () => {
    expect(enrol({ acquisitionChannel: ' Google_Ads ' }).acquisitionChannel).toBe('google_ads');
    expect(enrol({ acquisitionChannel: 'partner.site-2' }).acquisitionChannel).toBe('partner.site-2');
  });

  it.each(['', 'google ads', '_ads', '-ads', 'a'.repeat(65), 'ads!'])('rejects the acquisition channel %p', (acquisitionChannel) => {
    expect(rejectedField({ acquisitionChannel })).toBe('acquisitionChannel');
  });

  it('accepts a 64-character acquisition channel', () => {
    expect(enrol({ acquisitionChannel: 'a'.repeat(64) }).acquisitionChannel).toBe('a'.repeat(64));
  });

  it('parses the acquisition cost, allowing zero', () => {
    expect(enrol({ acquisitionCost: { amount: '12.50', currency: 'eur' } }).acquisitionCost).toEqual({ minor: 1250n, currency: 'EUR' });
    expect(enrol({ acquisitionCost: { amount: '0', currency: 'USD' } }).acquisitionCost).toEqual({ minor: 0n, currency: 'USD' });
  });

  it('rejects a bad acquisition cost naming its sub-field', () => {
    expect(rejectedField({ acquisitionCost: { amount: '1.234', currency: 'USD' } })).toBe('acquisitionCost.amount');
    expect(rejectedField({ acquisitionCost: { amount: '-1', currency: 'USD' } })).toBe('acquisitionCost.amount');
    expect(rejectedField({ acquisitionCost: { amount: '1', currency: 'ABC' } })).toBe('acquisitionCost.currency');
  });

  it('keeps a joinedAt in the past or within five minutes of now', () => {
    const past = new Date('2020-01-01T00:00:00Z');
    expect(enrol({ joinedAt: past }).joinedAt).toBe(past);
    const edge = new Date(NOW.getTime() + 5 * 60 * 1000);
    expect(enrol({ joinedAt: edge }).joinedAt).toBe(edge);
  });

  it('rejects a joinedAt more than five minutes after now, or an invalid date', () => {
    expect(rejectedField({ joinedAt: new Date(NOW.getTime() + 5 * 60 * 1000 + 1) })).toBe('joinedAt');
    expect(rejectedField({ joinedAt: new Date('2030-01-01T00:00:00Z') })).toBe('joinedAt');
    expect(rejectedField({ joinedAt: new Date('not a date') })).toBe('joinedAt');
  });

  it('measures the future against the now argument', () => {
    const joinedAt = new Date('2024-06-01T13:00:00Z');
    expect(() => normaliseEnrollment({ ...base, joinedAt }, NOW)).toThrow(BadUserInputError);
    expect(normaliseEnrollment({ ...base, joinedAt }, new Date('2024-06-01T14:00:00Z')).joinedAt).toBe(joinedAt);
  });
});

describe('referral signals on enrolment', () => {
  it('normalises the referral code to upper case without spaces or dashes', () => {
    expect(enrol({ referralCode: ' abcd-2345 ' }).referralCode).toBe('ABCD2345');
  });

  it('keeps the device id and a valid IPv4 or IPv6 address (lower case)', () => {
    expect(enrol({ deviceId: ' dev-1 ', ip: '2001:DB8::1' })).toMatchObject({ deviceId: 'dev-1', ip: '2001:db8::1' });
    expect(enrol({ ip: '203.0.113.9' }).ip).toBe('203.0.113.9');
  });

  it.each<[string, Partial<EnrollmentInput>]>([
    ['referralCode', { referralCode: ' - ' }],
    ['ip', { ip: '999.1.1.1' }],
    ['ip', { ip: 'localhost' }],
    ['deviceId', { deviceId: 'has space' }],
  ])('rejects a bad %s', (field, overrides) => {
    expect(rejectedField(overrides)).toBe(field);
  });
});

describe('enrollmentHash', () => {
  const full: EnrollmentInput = {
    externalId: 'cust-1',
    email: 'ada@example.com',
    country: 'GB',
    locale: 'en-GB',
    birthday: '12-10',
    acquisitionChannel: 'google_ads',
    acquisitionCost: { amount: '1.50', currency: 'USD' },
    joinedAt: new Date('2024-01-01T00:00:00Z'),
  };
  const hashOf = (overrides: Partial<EnrollmentInput> = {}) => enrollmentHash(enrol({ ...full, ...overrides }));

  it('is a hex SHA-256 digest', () => {
    expect(hashOf()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is equal for inputs that normalise the same', () => {
    expect(
      hashOf({
        externalId: ' cust-1 ',
        email: ' ADA@Example.com',
        country: 'gb',
        locale: 'EN-gb',
        birthday: ' 12-10',
        acquisitionChannel: 'Google_Ads',
        acquisitionCost: { amount: '1.5', currency: 'usd' },
        joinedAt: new Date('2024-01-01T00:00:00Z'),
      }),
    ).toBe(hashOf());
  });

  it.each<[string, Partial<EnrollmentInput>]>([
    ['externalId', { externalId: 'cust-2' }],
    ['email', { email: 'ada2@example.com' }],
    ['country', { country: 'IE' }],
    ['locale', { locale: 'en-US' }],
    ['locale omitted', { locale: undefined }],
    ['birthday', { birthday: '12-11' }],
    ['birthday omitted', { birthday: undefined }],
    ['acquisitionChannel', { acquisitionChannel: 'facebook' }],
    ['acquisitionChannel omitted', { acquisitionChannel: undefined }],
    ['acquisitionCost amount', { acquisitionCost: { amount: '1.51', currency: 'USD' } }],
    ['acquisitionCost currency', { acquisitionCost: { amount: '1.50', currency: 'EUR' } }],
    ['acquisitionCost omitted', { acquisitionCost: undefined }],
    ['joinedAt', { joinedAt: new Date('2024-01-01T00:00:00.001Z') }],
    ['joinedAt omitted', { joinedAt: undefined }],
    ['referralCode', { referralCode: 'ABCD2345' }],
    ['stripeCustomerId given', { stripeCustomerId: 'cus_A1' }],
  ])('differs when %s differs', (_label, overrides) => {
    expect(hashOf(overrides)).not.toBe(hashOf());
  });

  it('covers the referral code in any case, but not the device id or IP (a retry may come from elsewhere)', () => {
    expect(hashOf({ referralCode: 'abcd-2345' })).toBe(hashOf({ referralCode: 'ABCD2345' }));
    expect(hashOf({ deviceId: 'device-1', ip: '203.0.113.9' })).toBe(hashOf());
  });

  it('is unchanged without a referral code, so enrolments stored before referral codes existed still replay', () => {
    expect(hashOf()).toBe(hashOf({ referralCode: null }));
  });

  it('is unchanged by an omitted stripeCustomerId (hashes stored before the field existed still match), and differs per customer', () => {
    // The digest of the full input as it was computed before stripeCustomerId existed.
    const before = requestHash(['cust-1', 'ada@example.com', 'GB', 'en-GB', '12-10', 'google_ads', [150n, 'USD'], new Date('2024-01-01T00:00:00Z')]);
    expect(hashOf()).toBe(before);
    expect(hashOf({ stripeCustomerId: null })).toBe(before);
    expect(hashOf({ stripeCustomerId: ' cus_A1 ' })).toBe(hashOf({ stripeCustomerId: 'cus_A1' }));
    expect(hashOf({ stripeCustomerId: 'cus_A1' })).not.toBe(hashOf({ stripeCustomerId: 'cus_A2' }));
  });

  it('refuses a stripeCustomerId that is not cus_...', () => {
    expect(() => enrol({ stripeCustomerId: 'acct_123' })).toThrow(/Stripe customer id/);
  });

  it('distinguishes a zero acquisition cost from none', () => {
    expect(hashOf({ acquisitionCost: { amount: '0', currency: 'USD' } })).not.toBe(hashOf({ acquisitionCost: null }));
  });

  it('differs between a given and an omitted joinedAt on an otherwise minimal input', () => {
    expect(enrollmentHash(enrol({ joinedAt: new Date('2024-01-01T00:00:00Z') }))).not.toBe(enrollmentHash(enrol()));
  });
});
