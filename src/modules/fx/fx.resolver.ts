import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { currentRates, rateHistory } from './exchange-rates';
import { ExchangeRateView } from './fx.types';

@Resolver()
export class FxResolver {
  @Authorized('admin')
  @Mutation(() => ExchangeRateView, { description: 'Set how many units of a currency one unit of the base currency buys, from effectiveAt on (admin).' })
  async setExchangeRate(
    @Ctx() context: RequestContext,
    @Arg('currency') currency: string,
    @Arg('rate') rate: string,
    @Arg('effectiveAt', () => Date, { nullable: true }) effectiveAt: Date | null,
  ): Promise<ExchangeRateView> {
    return ExchangeRateView.of(await context.fx.setRate(context, currency, rate, effectiveAt));
  }

  @Authorized('admin')
  @Query(() => [ExchangeRateView], { description: 'The rate in force now for every currency that has one, by currency (admin). The base currency is always 1 and not listed.' })
  async exchangeRates(@Ctx() context: RequestContext): Promise<ExchangeRateView[]> {
    return (await currentRates(context.em, new Date())).map(ExchangeRateView.of);
  }

  @Authorized('admin')
  @Query(() => [ExchangeRateView], { description: "One currency's rates, latest effective first, scheduled ones included (admin). first: 1 to 100." })
  async exchangeRateHistory(
    @Ctx() context: RequestContext,
    @Arg('currency') currency: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
  ): Promise<ExchangeRateView[]> {
    return (await rateHistory(context.em, currency, first ?? 20)).map(ExchangeRateView.of);
  }
}
