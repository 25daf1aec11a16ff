import currencyCodes from 'currency-codes';

/** ISO 4217 codes that are not money one can pay with (metals, funds, testing, "no currency"). */
const NOT_TENDER = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** Looked up once per code (currency-codes searches its list): every order of a history import converts its amount. */
const digitsByCode = new Map<string, number | undefined>();

/** The number of minor-unit digits of an ISO 4217 currency (JPY 0, USD 2, KWD 3), or undefined. */
export function minorUnitDigits(code: string): number | undefined {
  if (digitsByCode.has(code)) return digitsByCode.get(code);
  let digits: number | undefined;
  if (!NOT_TENDER.has(code)) {
    const currency = currencyCodes.code(code);
    digits = currency && typeof currency.digits === 'number' ? currency.digits : undefined;
  }
  // Only ISO codes are remembered (anything else a client sends is answered without filling the map).
  if (digits !== undefined || /^[A-Z]{3}$/.test(code)) digitsByCode.set(code, digits);
  return digits;
}

export function isCurrencyCode(code: string): boolean {
  return minorUnitDigits(code) !== undefined;
}
