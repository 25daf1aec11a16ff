import { describe, expect, it } from 'vitest';
import { pickLanguage, isRightToLeft } from './i18n';
import { cohortHeatmapCells, dauMauSeries, defaultPeriod, formatMonth, revenueSeries } from './growth';
import { hrefFor, parseRoute } from './route';
import { roleOf } from './session';

describe('language choice', () => {
  it('takes the stored choice, else the first browser language we have, else English', () => {
    expect(pickLanguage(['fr-FR', 'es-MX'], null)).toBe('es');
    expect(pickLanguage(['zh-TW'], null)).toBe('zh-CN');
    expect(pickLanguage(['ar-EG'], null)).toBe('ar');
    expect(pickLanguage(['id-ID'], 'es')).toBe('es');
    expect(pickLanguage(['fr'], 'xx')).toBe('en');
    expect(isRightToLeft('ar')).toBe(true);
    expect(isRightToLeft('es')).toBe(false);
  });
});

describe('growth helpers', () => {
  it('defaults to the twelve whole months before this month', () => {
    expect(defaultPeriod(new Date('2026-03-15T10:00:00Z'))).toEqual({ from: '2025-03-01', to: '2026-03-01' });
  });

  it('turns cohorts into heatmap cells, leaving out cells without a value', () => {
    const cells = cohortHeatmapCells([
      { month: '2026-01', retention: [{ value: 1 }, { value: 0.5 }] },
      { month: '2026-02', retention: [{ value: 1 }, { value: null }] },
    ]);
    expect(cells).toEqual({ rows: ['2026-01', '2026-02'], columns: [0, 1], cells: [[0, 0, 1], [1, 0, 0.5], [0, 1, 1]] });
  });

  it('turns revenue by month into GMV and net revenue series', () => {
    expect(
      revenueSeries([
        { month: '2025-03', gmv: { amount: '1100.00' }, netRevenue: { amount: '1100.00' } },
        { month: '2025-04', gmv: { amount: '172.50' }, netRevenue: { amount: '-5.25' } },
      ]),
    ).toEqual({ months: ['2025-03', '2025-04'], gmv: [1100, 172.5], net: [1100, -5.25] });
  });

  it('turns DAU/MAU by month into a series with gaps where a month has no MAU', () => {
    expect(dauMauSeries([{ month: '2025-03', dauMau: { value: 0.25 } }, { month: '2025-04', dauMau: { value: null } }])).toEqual({ months: ['2025-03', '2025-04'], values: [0.25, null] });
  });

  it('writes a month in the locale', () => {
    expect(formatMonth('2025-03', 'en')).toBe('Mar 2025');
    expect(formatMonth('2025-12', 'zh-CN')).toBe('2025年12月');
  });
});

describe('routes and tokens', () => {
  it('round-trips routes through the hash', () => {
    expect(parseRoute(hrefFor({ page: 'member', id: 'a/b' }))).toEqual({ page: 'member', id: 'a/b' });
    expect(parseRoute('#/at-risk')).toEqual({ page: 'atRisk' });
    expect(parseRoute('')).toEqual({ page: 'members' });
    expect(parseRoute('#/earning-rules')).toEqual({ page: 'earningRules' });
    expect(parseRoute(hrefFor({ page: 'exchangeRates' }))).toEqual({ page: 'exchangeRates' });
    expect(parseRoute('#/no-such-page')).toEqual({ page: 'members' });
  });

  it('reads the role claim of a token and refuses what is not one', () => {
    const payload = btoa(JSON.stringify({ role: 'support', sub: 'agent' })).replace(/=+$/, '');
    expect(roleOf(`eyJhbGciOiJIUzI1NiJ9.${payload}.sig`)).toBe('support');
    expect(roleOf('not a token')).toBeNull();
  });
});
