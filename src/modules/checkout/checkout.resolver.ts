import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { MoneyInput, MoneyView } from '../../graphql/money.types';
import { toInt } from '../ledger/ledger.types';
import { HoldPointsInput, PointsHoldView, RedemptionQuoteView } from './checkout.types';

@Resolver()
export class CheckoutResolver {
  @Authorized()
  @Query(() => RedemptionQuoteView, { description: "How many points a member may put toward a cart, and what they are worth in the cart's currency." })
  async redemptionQuote(
    @Ctx() context: RequestContext,
    @Arg('memberId', () => ID) memberId: string,
    @Arg('cart', () => MoneyInput) cart: MoneyInput,
    @Arg('currency', () => String, { nullable: true, defaultValue: 'PTS' }) currency: string | null,
  ): Promise<RedemptionQuoteView> {
    const quote = await context.checkout.quote(context, memberId, cart, currency);
    return Object.assign(new RedemptionQuoteView(), {
      currency: quote.currency,
      availablePoints: toInt(quote.availablePoints),
      maxPoints: toInt(quote.maxPoints),
      maxDiscount: MoneyView.of(quote.maxDiscount),
      minPoints: toInt(quote.minPoints),
    });
  }

  @Authorized('storefront', 'member')
  @Mutation(() => PointsHoldView, { description: 'Reserve points for a checkout (storefront, or the member itself).' })
  async holdPoints(@Ctx() context: RequestContext, @Arg('input') input: HoldPointsInput): Promise<PointsHoldView> {
    // Every invalid field at once (the service checks the same again and reports the first).
    return PointsHoldView.of(await context.checkout.hold(context, input));
  }

  @Authorized('storefront', 'member')
  @Mutation(() => PointsHoldView, { description: 'Spend held points once the order is placed.' })
  async capturePoints(@Ctx() context: RequestContext, @Arg('holdId', () => ID) holdId: string): Promise<PointsHoldView> {
    return PointsHoldView.of(await context.checkout.capture(context, holdId));
  }

  @Authorized('storefront', 'member')
  @Mutation(() => PointsHoldView, { description: 'Give held points back (cart abandoned or payment failed).' })
  async releasePoints(@Ctx() context: RequestContext, @Arg('holdId', () => ID) holdId: string): Promise<PointsHoldView> {
    return PointsHoldView.of(await context.checkout.release(context, holdId));
  }
}
