import { fromStripeAmount, stripeDigits } from '../../src/money/stripe-amounts';
import { formatMoney } from '../../src/money/money';

describe('Stripe amounts to ISO 4217 minor units', () => {
  it.each([
    [1999, 'usd', 'USD', '19.99'],
    [1500, 'jpy', 'JPY', '1500'],
    [30010, 'kwd', 'KWD', '30.010'],
    [12345, 'bhd', 'BHD', '12.345'],
    [50000, 'krw', 'KRW', '50000'],
    [1000, 'eur', 'EUR', '10.00'],
    // Stripe: zero-decimal; ISO 4217: 2 digits
    [500, 'mga', 'MGA', '500.00'],
    // Stripe: two-decimal (100 = 1 krona); ISO 4217: 0 digits
    [50000, 'isk', 'ISK', '500'],
    // Same digits on both sides
    [1234, 'huf', 'HUF', '12.34'],
    [1234, 'twd', 'TWD', '12.34'],
    [2500, 'ugx', 'UGX', '2500'],
  ])('%d %s is %s %s', (amount, stripeCurrency, currency, formatted) => {
    const money = fromStripeAmount(amount, stripeCurrency);
    expect(money.currency).toBe(currency);
    expect(formatMoney(money)).toBe(formatted);
  });

  it('drops a fraction of a krona (older ISK charges), never rounding up', () => {
    expect(fromStripeAmount(4010, 'isk')).toEqual({ minor: 40n, currency: 'ISK' });
  });

  it('knows Stripe digits', () => {
    expect([stripeDigits('jpy'), stripeDigits('USD'), stripeDigits('kwd'), stripeDigits('isk')]).toEqual([0, 2, 3, 2]);
  });

  it('refuses unknown currencies and bad amounts', () => {
    expect(() => fromStripeAmount(100, 'zzz')).toThrow(/not an ISO 4217/);
    expect(() => fromStripeAmount(-1, 'usd')).toThrow(/non-negative integer/);
    expect(() => fromStripeAmount(1.5, 'usd')).toThrow(/non-negative integer/);
  });
});
