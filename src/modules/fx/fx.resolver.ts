import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
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
    return ExchangeRateView.of(await context.fx.setRate(currency, rate, effectiveAt));
  }
}
