import { describe, expect, it } from 'vitest';
import { currencyDigits, formatDate, formatMoney, formatNumber, formatPercent, formatPoints } from './format';

describe('formatting in the chosen locale', () => {
  it('formats money in its own currency with its own minor units', () => {
    expect(formatMoney('1234.5', 'USD', 'en')).toBe('$1,234.50');
    expect(formatMoney('1234', 'JPY', 'en')).toBe('¥1,234');
    expect(formatMoney('1234.50', 'EUR', 'es')).toBe('1234,50\u00a0€');
    expect(formatMoney('1234.50', 'USD', 'zh-CN')).toBe('US$1,234.50');
    expect(formatMoney(null, 'USD', 'en')).toBe('—');
    expect(currencyDigits('BHD')).toBe(3);
  });

  it('formats numbers, percents and points with the locale digits and grouping', () => {
    expect(formatNumber(1234567, 'en')).toBe('1,234,567');
    expect(formatNumber(1234567, 'id')).toBe('1.234.567');
    expect(formatNumber(1234567, 'es')).toBe('1.234.567');
    expect(formatPercent(0.125, 'en')).toBe('12.5%');
    expect(formatPoints(250, 'en')).toBe('+250');
    expect(formatPoints(-40, 'en')).toBe('-40');
    expect(formatPoints(0, 'en')).toBe('0');
  });

  it('formats dates in UTC so every agent sees the same day', () => {
    expect(formatDate('2026-02-28T23:30:00.000Z', 'en')).toBe('Feb 28, 2026');
    expect(formatDate('2026-02-28T23:30:00.000Z', 'es')).toBe('28 feb 2026');
    expect(formatDate(null, 'en')).toBe('—');
  });
});
