import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { pointsCurrencyView } from '../ledger/points-currency-admin';
import { PointsCurrencyView, UpdatePointsCurrencyInput } from '../ledger/ledger.types';

/**
 * Points currencies as the console lists and edits them (createPointsCurrency is in the ledger's resolver). The ledger
 * module owns the table, the checks and the change (src/modules/ledger/points-currency-admin.ts); this resolver only
 * calls them.
 */
@Resolver()
export class PointsCurrenciesResolver {
  @Authorized('support', 'admin')
  @Query(() => [PointsCurrencyView], { description: 'Every points currency of the programme, by code (support, admin).' })
  async pointsCurrencies(@Ctx() context: RequestContext): Promise<PointsCurrencyView[]> {
    const currencies = await context.pointsCurrencies.list(context);
    return currencies.map((currency) => Object.assign(new PointsCurrencyView(), pointsCurrencyView(currency)));
  }

  @Authorized('admin')
  @Mutation(() => PointsCurrencyView, {
    description:
      "Change a points currency's settings that act from now on (admin): name, valueInBase, expiryMonths, earnsOnOrders, earnRate. No ledger amount or earned lot changes. Audited.",
  })
  async updatePointsCurrency(@Ctx() context: RequestContext, @Arg('input') input: UpdatePointsCurrencyInput): Promise<PointsCurrencyView> {
    return Object.assign(new PointsCurrencyView(), pointsCurrencyView(await context.pointsCurrencies.update(context, input)));
  }
}
