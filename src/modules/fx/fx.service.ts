import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, checkFields } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { isCurrencyCode } from '../../money/currency';
import { Decimal, formatDecimal, parseDecimal } from '../../money/decimal';
import type { AuditService } from '../audit/audit.service';
import { ExchangeRate } from './exchange-rate.entity';
import { noRateInForce, rateInForceSql } from './fx.sql';

export interface RateInForce {
  rate: Decimal;
  /** Canonical decimal string, as stored on orders. */
  text: string;
}

const ONE: RateInForce = { rate: { units: 1n, scale: 0 }, text: '1' };

/** Exchange rates are data: a history per currency, each rate in force from its effective time on. */
export class FxService {
  constructor(private readonly audit: AuditService) {}

  /** Records a rate (admin). A second rate for the same currency and instant replaces the first. */
  async setRate(scope: RequestScope, currencyCode: string, rateText: string, effectiveAt: Date | null | undefined): Promise<ExchangeRate> {
    const { currency, rate, at } = checkFields({
      currency: () => {
        const currency = currencyCode.trim().toUpperCase();
        if (!isCurrencyCode(currency)) throw new BadUserInputError('currency', `unknown currency "${currencyCode}"`);
        if (currency === scope.config.baseCurrency) throw new BadUserInputError('currency', `${currency} is the base currency; its rate is always 1`);
        return currency;
      },
      rate: () => formatDecimal(parseDecimal(rateText, 'rate')),
      at: () => {
        const at = effectiveAt ?? new Date();
        if (Number.isNaN(at.getTime())) throw new BadUserInputError('effectiveAt', 'is not a time');
        return at;
      },
    });
    return scope.em.transactional(async (em) => {
      await em.execute(
        `insert into exchange_rates (currency, rate, effective_at, created_by, created_at) values (?, ?, ?, ?, now())
         on conflict (currency, effective_at) do update set rate = excluded.rate, created_by = excluded.created_by`,
        [currency, rate, at, scope.principal?.subject ?? null],
      );
      await this.audit.record(scope, 'fx.set-rate', [null], { currency, rate, effectiveAt: at.toISOString() }, em);
      return em.findOneOrFail(ExchangeRate, { currency, effectiveAt: at }, { refresh: true });
    });
  }

  /** The rate in force for `currency` at `at` (the latest effective at or before it); the base currency is 1. */
  async rateAt(scope: RequestScope, em: EntityManager, currency: string, at: Date, field = 'currency'): Promise<RateInForce> {
    if (currency === scope.config.baseCurrency) return ONE;
    const [row] = await em.execute<{ rate: string | null }[]>(`select ${rateInForceSql('?', '?')} as rate`, [currency, at]);
    if (row.rate === null) throw noRateInForce(field, currency, at);
    const rate = parseDecimal(row.rate, 'rate');
    return { rate, text: formatDecimal(rate) };
  }
}
