import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { auditFilterVariables, earningRuleInput, EARNING_RULE_FIELDS, errorsFromApi, formFieldFor, instantFromLocal, localFromInstant, marketList, optionalWhole, pointsCurrencyInput, ruleState } from './forms';
import { mergeStrings } from './i18n';
import en from './locales/en.json';
import enMore from './locales/more/en.json';
import zhCN from './locales/zh-CN.json';
import zhCNMore from './locales/more/zh-CN.json';
import es from './locales/es.json';
import esMore from './locales/more/es.json';
import id from './locales/id.json';
import idMore from './locales/more/id.json';
import ar from './locales/ar.json';
import arMore from './locales/more/ar.json';

const blank = { code: '', name: '', currency: '', markets: '', startsAt: '', endsAt: '', minOrder: '', firstOrderOnly: false, multiplier: '', bonusPoints: '' };

describe('API errors on form fields', () => {
  it('puts an error on the field it names, its flattened name, or its head; else on the form', () => {
    expect(formFieldFor('name', EARNING_RULE_FIELDS)).toBe('name');
    expect(formFieldFor('minOrder.currency', EARNING_RULE_FIELDS)).toBe('minOrder');
    expect(formFieldFor('minOrder.currency', ['minOrderCurrency', 'minOrder'])).toBe('minOrderCurrency');
    expect(formFieldFor('input', EARNING_RULE_FIELDS)).toBeNull();
    expect(formFieldFor(undefined, EARNING_RULE_FIELDS)).toBeNull();
  });

  it('shows a BAD_USER_INPUT problem next to its field without the field prefix', () => {
    const error = new ApiError('endsAt: must be after startsAt', 'BAD_USER_INPUT', 'endsAt');
    expect(errorsFromApi(error, EARNING_RULE_FIELDS)).toEqual({ fields: { endsAt: 'must be after startsAt' }, form: null });
    const nested = new ApiError('minOrder.currency: must be the base currency USD', 'BAD_USER_INPUT', 'minOrder.currency');
    expect(errorsFromApi(nested, EARNING_RULE_FIELDS)).toEqual({ fields: { minOrder: 'must be the base currency USD' }, form: null });
  });

  it('shows other failures for the whole form', () => {
    expect(errorsFromApi(new ApiError('Not allowed', 'FORBIDDEN'), EARNING_RULE_FIELDS)).toEqual({ fields: {}, form: 'Not allowed' });
    expect(errorsFromApi(new Error('Failed to fetch'), EARNING_RULE_FIELDS)).toEqual({ fields: {}, form: 'Failed to fetch' });
  });
});

describe('text fields to API values', () => {
  it('reads whole numbers, market lists and local date-times', () => {
    expect(optionalWhole(' 42 ')).toBe(42);
    expect(optionalWhole('')).toBeNull();
    expect(optionalWhole('4.5')).toBe('notWhole');
    expect(optionalWhole('ten')).toBe('notWhole');
    expect(marketList('de, fr  es')).toEqual(['DE', 'FR', 'ES']);
    expect(marketList(' ')).toBeNull();
    expect(instantFromLocal('')).toBeNull();
    expect(instantFromLocal('soon')).toBe('notDate');
    const local = '2026-03-01T09:30';
    expect(localFromInstant(instantFromLocal(local) as string)).toBe(local);
    expect(localFromInstant(null)).toBe('');
  });
});

describe('the earning-rule form', () => {
  it('builds createEarningRule input: empty optional fields are null, the minimum order in the base currency', () => {
    const values = { ...blank, code: 'ramadan', name: ' Ramadan ', markets: 'id, my', startsAt: '2026-03-01T00:00', minOrder: '25', firstOrderOnly: true, multiplier: '2' };
    expect(earningRuleInput(values, 'USD', true)).toEqual({
      input: {
        code: 'ramadan',
        currency: 'PTS',
        name: 'Ramadan',
        markets: ['ID', 'MY'],
        startsAt: new Date('2026-03-01T00:00').toISOString(),
        endsAt: null,
        minOrder: { amount: '25', currency: 'USD' },
        firstOrderOnly: true,
        multiplier: '2',
        bonusPoints: null,
      },
      errors: {},
    });
  });

  it('leaves code and currency out of an update (they cannot change) and sends null to clear', () => {
    const values = { ...blank, code: 'KEEP', currency: 'PTS', name: 'Bonus', bonusPoints: '50' };
    expect(earningRuleInput(values, 'USD', false)).toEqual({
      input: { name: 'Bonus', markets: null, startsAt: null, endsAt: null, minOrder: null, firstOrderOnly: false, multiplier: null, bonusPoints: 50 },
      errors: {},
    });
  });

  it('reports what the browser can tell per field and sends nothing', () => {
    expect(earningRuleInput({ ...blank, bonusPoints: '1.5', endsAt: 'later' }, 'USD', true)).toEqual({
      input: null,
      errors: { name: 'required', code: 'required', endsAt: 'notDate', bonusPoints: 'notWhole' },
    });
  });

  it('tells standing rules, scheduled, live and ended campaigns apart', () => {
    const now = new Date('2026-06-15T12:00:00Z');
    expect(ruleState({ startsAt: null, endsAt: null }, now)).toBe('standing');
    expect(ruleState({ startsAt: '2026-07-01T00:00:00Z', endsAt: null }, now)).toBe('scheduled');
    expect(ruleState({ startsAt: '2026-06-01T00:00:00Z', endsAt: '2026-07-01T00:00:00Z' }, now)).toBe('live');
    expect(ruleState({ startsAt: null, endsAt: '2026-06-15T12:00:00Z' }, now)).toBe('ended');
  });
});

describe('the audit page filters', () => {
  it('sends the filters given, trimmed, and leaves out the empty ones', () => {
    expect(auditFilterVariables({ action: ' points.adjust ', actor: '', actorRole: 'support' })).toEqual({ action: 'points.adjust', actor: null, actorRole: 'support' });
    expect(auditFilterVariables({ action: '  ', actor: 'agent-7', actorRole: '' })).toEqual({ action: null, actor: 'agent-7', actorRole: null });
  });
});

describe('the points currency form', () => {
  const values = { code: ' MILES ', name: ' Miles ', valueInBase: '0.02', earnRate: '0.5', expiryMonths: '6', earnsOnOrders: true };
  it('turns the values into the input, trimmed, with whole expiry months', () => {
    expect(pointsCurrencyInput(values)).toEqual({
      input: { code: 'MILES', name: 'Miles', valueInBase: '0.02', earnRate: '0.5', expiryMonths: 6, earnsOnOrders: true },
      errors: {},
    });
  });
  it('reports what the browser can tell before sending: required fields and whole months', () => {
    expect(pointsCurrencyInput({ ...values, name: ' ', expiryMonths: '1.5' })).toEqual({ input: null, errors: { name: 'required', expiryMonths: 'notWhole' } });
    expect(pointsCurrencyInput({ ...values, valueInBase: '', earnsOnOrders: false })).toEqual({ input: null, errors: { valueInBase: 'required' } });
  });
});

describe('strings', () => {
  const keys = (strings: object, prefix = ''): string[] =>
    Object.entries(strings).flatMap(([key, value]) => (typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`]));
  it('every locale has every key, the admin pages included', () => {
    const english = keys(mergeStrings(en, enMore)).sort();
    for (const [base, more] of [[zhCN, zhCNMore], [es, esMore], [id, idMore], [ar, arMore]]) expect(keys(mergeStrings(base, more)).sort()).toEqual(english);
  });

  it('merges nested sections and keeps the base strings', () => {
    expect(mergeStrings({ app: { title: 'T', save: 'old' }, x: 'y' }, { app: { save: 'Save' } })).toEqual({ app: { title: 'T', save: 'Save' }, x: 'y' });
  });
});
