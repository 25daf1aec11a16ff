import currencyCodes from 'currency-codes';

/** ISO 4217 codes that are not money one can pay with (metals, funds, testing, "no currency"). */
const NOT_TENDER = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** The number of minor-unit digits of an ISO 4217 currency (JPY 0, USD 2, KWD 3), or undefined. */
export function minorUnitDigits(code: string): number | undefined {
  if (NOT_TENDER.has(code)) return undefined;
  const currency = currencyCodes.code(code);
  return currency && typeof currency.digits === 'number' ? currency.digits : undefined;
}

export function isCurrencyCode(code: string): boolean {
  return minorUnitDigits(code) !== undefined;
}
