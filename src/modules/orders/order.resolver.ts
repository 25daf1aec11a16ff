import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import { CreateEarningRuleInput, EarningRuleView, OrderConnection, OrderView, RecordOrderInput, RefundOrderInput } from './order.types';

@Resolver(() => MemberView)
export class OrderResolver {
  @FieldResolver(() => OrderConnection, {
    description: 'Orders, most recently placed first.',
  })
  async orders(
    @Root() member: Member,
    @Ctx() context: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const connection = await context.orders.ordersOf(context, member.id, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: OrderView.of(edge.node) })) };
  }

  @Authorized('storefront', 'admin')
  @Mutation(() => OrderView, { description: 'Record a paid order and earn points for it (storefront, admin). Idempotent on externalId.' })
  async recordOrder(@Ctx() context: RequestContext, @Arg('input') input: RecordOrderInput): Promise<OrderView> {
    return OrderView.of(await context.orders.record(context, input));
  }

  @Authorized('storefront', 'admin')
  @Mutation(() => OrderView, {
    description: 'Refund all or part of an order and take back the points it earned (storefront, admin). Idempotent on refundId.',
  })
  async refundOrder(@Ctx() context: RequestContext, @Arg('input') input: RefundOrderInput): Promise<OrderView> {
    // Every invalid field at once (the service checks the same again and reports the first).
    return OrderView.of(await context.orders.refund(context, input));
  }

  @Authorized('admin')
  @Mutation(() => EarningRuleView, { description: 'Add a campaign earning rule (admin): conditions, and a multiplier and/or fixed bonus.' })
  async createEarningRule(@Ctx() context: RequestContext, @Arg('input') input: CreateEarningRuleInput): Promise<EarningRuleView> {
    const rule = await context.earningRules.create(context, input);
    return EarningRuleView.of(rule, context.config.baseCurrency);
  }
}
