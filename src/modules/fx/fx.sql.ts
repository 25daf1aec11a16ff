import { BadUserInputError } from '../../errors';

/**
 * The rate in force for a currency at a time, as a scalar SQL subquery (text): the latest rate effective at or before
 * it; null when none is. `currency` and `at` are SQL expressions (placeholders). The one copy of this rule.
 */
export function rateInForceSql(currency: string, at: string): string {
  return `(select x.rate::text from exchange_rates x where x.currency = ${currency} and x.effective_at <= ${at} order by x.effective_at desc limit 1)`;
}

export function noRateInForce(field: string, currency: string, at: Date): BadUserInputError {
  return new BadUserInputError(field, `no exchange rate for ${currency} in force at ${at.toISOString()}`);
}
