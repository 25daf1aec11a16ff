import { isIP } from 'node:net';
import { isEmail, isISO31661Alpha2 } from 'class-validator';
import { BadUserInputError, InputChecks } from '../../errors';
import { Money, parseMoney } from '../../money/money';
import { requestHash } from '../../idempotency';
import { externalIdOrFail, pastTimeOrFail } from '../../validation';
import { normaliseReferralCode } from '../referrals/referral-code';

/** Enrolment input as a client sends it. */
export interface EnrollmentInput {
  externalId: string;
  email: string;
  country: string;
  locale?: string | null;
  birthday?: string | null;
  acquisitionChannel?: string | null;
  acquisitionCost?: { amount: string; currency: string } | null;
  joinedAt?: Date | null;
  referralCode?: string | null;
  deviceId?: string | null;
  ip?: string | null;
  stripeCustomerId?: string | null;
}

/** Enrolment input after validation, in the form it is stored. */
export interface Enrollment {
  externalId: string;
  email: string;
  country: string;
  locale: string;
  birthday: string | null;
  acquisitionChannel: string | null;
  acquisitionCost: Money | null;
  /** Null when the client did not give one (the member joins now). */
  joinedAt: Date | null;
  /** Normalised (upper case, no spaces or dashes); null without one. */
  referralCode: string | null;
  /** Client signals for the referral fraud rules; not part of the idempotency hash (a retry may come from elsewhere). */
  deviceId: string | null;
  ip: string | null;
  stripeCustomerId: string | null;
}

export const DEFAULT_LOCALE = 'en';
const CHANNEL = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const BIRTHDAY = /^(\d{2})-(\d{2})$/;
/** Days per month, with 29 for February: a birthday has no year. */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normaliseLocale(locale: string, field = 'locale'): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(locale.trim());
    if (canonical) return canonical;
  } catch {
    // RangeError: not a well-formed BCP 47 tag
  }
  throw new BadUserInputError(field, `"${locale}" is not a BCP 47 language tag such as en-US`);
}

export function normaliseBirthday(birthday: string): string {
  const match = BIRTHDAY.exec(birthday.trim());
  const month = match ? Number(match[1]) : 0;
  const day = match ? Number(match[2]) : 0;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]) {
    throw new BadUserInputError('birthday', `"${birthday}" is not a day of the year as MM-DD`);
  }
  return `${match![1]}-${match![2]}`;
}

/** Validates and normalises enrolment input; every failure is BAD_USER_INPUT naming the field. */
export function normaliseEnrollment(input: EnrollmentInput, now: Date = new Date()): Enrollment {
  const checks = new InputChecks();
  const externalId = checks.check(() => externalIdOrFail(input.externalId, 'externalId'));
  const email = checks.check(() => {
    const normalised = normaliseEmail(input.email);
    if (!isEmail(normalised)) throw new BadUserInputError('email', `"${input.email}" is not an email address`);
    return normalised;
  });
  const country = checks.check(() => {
    const code = input.country.trim().toUpperCase();
    if (!isISO31661Alpha2(code)) throw new BadUserInputError('country', `"${input.country}" is not an ISO 3166-1 alpha-2 code`);
    return code;
  });
  const locale = input.locale == null ? DEFAULT_LOCALE : checks.check(() => normaliseLocale(input.locale!));
  const birthday = input.birthday == null ? null : checks.check(() => normaliseBirthday(input.birthday!));
  const acquisitionChannel =
    input.acquisitionChannel == null
      ? null
      : checks.check(() => {
          const channel = input.acquisitionChannel!.trim().toLowerCase();
          if (!CHANNEL.test(channel)) throw new BadUserInputError('acquisitionChannel', 'must be 1 to 64 letters, digits, ".", "_" or "-", such as google_ads');
          return channel;
        });
  const acquisitionCost =
    input.acquisitionCost == null
      ? null
      : checks.check(() => parseMoney(input.acquisitionCost!.amount, input.acquisitionCost!.currency, 'acquisitionCost', { allowZero: true }));
  const joinedAt = input.joinedAt ? checks.check(() => pastTimeOrFail(input.joinedAt!, 'joinedAt', now)) : null;
  const referralCode =
    input.referralCode == null
      ? null
      : checks.check(() => {
          const code = normaliseReferralCode(input.referralCode!);
          if (code === '') throw new BadUserInputError('referralCode', 'must not be empty');
          return code;
        });
  const deviceId = input.deviceId == null ? null : checks.check(() => externalIdOrFail(input.deviceId!, 'deviceId'));
  const ip =
    input.ip == null
      ? null
      : checks.check(() => {
          const address = input.ip!.trim().toLowerCase();
          if (!isIP(address)) throw new BadUserInputError('ip', `"${input.ip}" is not an IPv4 or IPv6 address`);
          return address;
        });
  const stripeCustomerId = input.stripeCustomerId == null ? null : checks.check(() => stripeCustomerIdOrFail(input.stripeCustomerId!, 'stripeCustomerId'));
  checks.throwIfAny();
  return {
    externalId: externalId!,
    email: email!,
    country: country!,
    locale: locale!,
    birthday: birthday!,
    acquisitionChannel: acquisitionChannel!,
    acquisitionCost: acquisitionCost!,
    joinedAt: joinedAt!,
    referralCode: referralCode!,
    deviceId: deviceId!,
    ip: ip!,
    stripeCustomerId: stripeCustomerId!,
  };
}

/** A stable hash of a normalised enrolment: equal for replays of the same input. */
export function enrollmentHash(enrollment: Enrollment): string {
  return requestHash([
    enrollment.externalId,
    enrollment.email,
    enrollment.country,
    enrollment.locale,
    enrollment.birthday,
    enrollment.acquisitionChannel,
    enrollment.acquisitionCost ? [enrollment.acquisitionCost.minor, enrollment.acquisitionCost.currency] : null,
    enrollment.joinedAt ?? null,
    // Appended only when given, so that enrolments stored before referral codes existed keep their hash.
    ...(enrollment.referralCode ? [enrollment.referralCode] : []),
    // Appended only when given, after the referral code, so that hashes stored before the field existed still match.
    ...(enrollment.stripeCustomerId ? [enrollment.stripeCustomerId] : []),
  ]);
}

const STRIPE_CUSTOMER_ID = /^cus_[A-Za-z0-9]{1,250}$/;

/** A Stripe customer id (cus_...), trimmed. */
export function stripeCustomerIdOrFail(value: string, field: string): string {
  const id = value.trim();
  if (!STRIPE_CUSTOMER_ID.test(id)) throw new BadUserInputError(field, `"${value}" is not a Stripe customer id such as cus_NffrFeUfNV2Hib`);
  return id;
}
