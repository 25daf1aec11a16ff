import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Ctx, Extensions, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { MoneyView } from '../../graphql/money.types';
import { perRequest } from '../../graphql/request-loaders';
import { OrderRefund } from './order-refund.entity';
import { OrderView } from './order.types';

@ObjectType('OrderRefund')
export class OrderRefundView {
  @Field(() => ID)
  id!: string;

  @Field({ description: "The storefront's refund id (refundOrder's refundId)." })
  refundId!: string;

  @Field(() => MoneyView, { description: "In the order's currency." })
  amount!: MoneyView;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Set when the refund failed later; its points were given back then.' })
  failedAt!: Date | null;
}

/** Each order's refunds, oldest first, one read for many orders (the order_id index). */
export async function refundsOfOrders(em: EntityManager, orderIds: readonly string[]): Promise<Map<string, OrderRefund[]>> {
  const result = new Map<string, OrderRefund[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return result;
  const refunds = await em.find(OrderRefund, { orderId: { $in: [...orderIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  for (const refund of refunds) result.get(refund.orderId)?.push(refund);
  return result;
}

@Resolver(() => OrderView)
export class OrderRefundsResolver {
  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [OrderRefundView], { description: 'Refunds of the order, oldest first.' })
  async refunds(@Root() order: OrderView, @Ctx() context: RequestContext): Promise<OrderRefundView[]> {
    const loader = perRequest(context, 'orderRefunds', () => new DataLoader<string, OrderRefund[]>(async (ids) => {
      const found = await refundsOfOrders(context.em, ids);
      return ids.map((id) => found.get(id) ?? []);
    }));
    return (await loader.load(order.id)).map((refund) =>
      Object.assign(new OrderRefundView(), {
        id: String(refund.id),
        refundId: refund.refundId,
        amount: MoneyView.of({ minor: BigInt(refund.amountMinor), currency: order.amount.currency }),
        createdAt: refund.createdAt,
        failedAt: refund.failedAt ?? null,
      }),
    );
  }
}
