import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { formatDecimal } from '../../money/decimal';
import { PointsCurrency } from '../ledger/points-currency.entity';
import { toSettings } from '../ledger/points-currency.service';
import { PointsCurrencyView } from '../ledger/ledger.types';

/**
 * Read-only programme configuration the console lists. It lives outside src/modules/ledger (which owns the table)
 * only so that the ledger module's files stay untouched while they are being reworked; it reads through the
 * ledger's own entity and settings mapping.
 */
@Resolver()
export class PointsCurrenciesResolver {
  @Authorized('support', 'admin')
  @Query(() => [PointsCurrencyView], { description: 'Every points currency of the programme, by code (support, admin).' })
  async pointsCurrencies(@Ctx() context: RequestContext): Promise<PointsCurrencyView[]> {
    const currencies = await context.em.find(PointsCurrency, {}, { orderBy: { code: 'asc' } });
    return currencies.map((currency) => {
      const settings = toSettings(currency);
      return Object.assign(new PointsCurrencyView(), {
        code: settings.code,
        name: settings.name,
        valueInBase: formatDecimal(settings.valueInBase),
        earnRate: formatDecimal(settings.earnRate),
        expiryMonths: settings.expiryMonths,
        earnsOnOrders: settings.earnsOnOrders,
      });
    });
  }
}
