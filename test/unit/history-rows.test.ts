import { columnPositions, MEMBER_COLUMNS, ORDER_COLUMNS, parseOrderRow, RateHistory, RowRejection } from '../../src/modules/import/history-rows';

describe('history import rows', () => {
  const rates = new RateHistory('USD', [
    { currency: 'EUR', rate: '0.8', effectiveAt: new Date('2024-06-01T00:00:00Z') },
    { currency: 'EUR', rate: '0.90', effectiveAt: new Date('2024-01-01T00:00:00Z') },
  ]);

  it('uses the rate in force at the time: from its effective instant on, until the next', () => {
    expect(rates.rateAt('EUR', new Date('2024-01-01T00:00:00Z')).text).toBe('0.9');
    expect(rates.rateAt('EUR', new Date('2024-05-31T23:59:59.999Z')).text).toBe('0.9');
    expect(rates.rateAt('EUR', new Date('2024-06-01T00:00:00Z')).text).toBe('0.8');
    expect(rates.rateAt('USD', new Date('2000-01-01T00:00:00Z')).text).toBe('1');
    expect(() => rates.rateAt('EUR', new Date('2023-12-31T23:59:59.999Z'))).toThrow(new RowRejection('no exchange rate for EUR in force at 2023-12-31T23:59:59.999Z'));
    expect(() => rates.rateAt('GBP', new Date('2024-06-01T00:00:00Z'))).toThrow(RowRejection);
    // 0.05 EUR at 0.9 = 0.0555... USD: rounded down to 0.05, never up.
    expect(rates.convert({ minor: 5n, currency: 'EUR' }, new Date('2024-02-01T00:00:00Z')).base).toEqual({ minor: 5n, currency: 'USD' });
  });

  it('reads the order columns in any order and sets the status from the refunded amount', () => {
    const positions = columnPositions(['placed_at', 'amount', 'currency', 'member_external_id', 'external_id', 'refunded_amount'], ORDER_COLUMNS, 'orders.csv');
    const now = new Date('2025-01-01T00:00:00Z');
    const order = (refunded: string) => parseOrderRow(['2024-03-01T12:00:00+01:00', '12.30', 'eur', 'm-1', 'o-1', refunded], positions, now);
    expect(order('')).toMatchObject({ externalId: 'o-1', memberExternalId: 'm-1', amount: { minor: 1230n, currency: 'EUR' }, placedAt: new Date('2024-03-01T11:00:00Z'), refundedMinor: 0n, status: 'PAID' });
    expect(order('0.30')).toMatchObject({ refundedMinor: 30n, status: 'PARTIALLY_REFUNDED' });
    expect(order('12.3')).toMatchObject({ refundedMinor: 1230n, status: 'REFUNDED' });
    expect(() => order('12.31')).toThrow(new RowRejection('refunded_amount: exceeds the amount'));
    expect(() => parseOrderRow(['2024-03-01', '12.30', 'EUR', 'm-1', 'o-1', ''], positions, now)).toThrow(/placed_at: "2024-03-01" is not an ISO 8601 time with a zone/);
  });

  it('refuses a header with an unknown or missing column', () => {
    expect(() => columnPositions(['external_id', 'email', 'country', 'emial'], MEMBER_COLUMNS, 'members.csv')).toThrow('members.csv: unknown column "emial"');
    expect(() => columnPositions(['external_id', 'country'], MEMBER_COLUMNS, 'members.csv')).toThrow('members.csv: the header lacks email');
    expect(() => columnPositions(['external_id', 'email', 'email', 'country'], MEMBER_COLUMNS, 'members.csv')).toThrow('appears twice');
  });
});
