import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { MoneyView } from '../../graphql/money.types';
import { Connection, DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import { localisedName } from '../../localised-names';
import { LocalisedNameView } from '../../graphql/localised-name.types';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import { redemptionsOf } from './member-redemptions';
import type { RedemptionResult, RewardForReader, RewardService } from './reward.service';
import {
  CreateRewardInput,
  RedeemRewardInput,
  RewardConnection,
  RewardRedemptionConnection,
  RewardRedemptionView,
  RewardView,
  UpdateRewardInput,
  VoucherView,
} from './reward.types';

/** The API view of a reward for one reader (its locale picks the name). */
export function toRewardView({ reward, locale }: RewardForReader): RewardView {
  return {
    id: reward.id,
    code: reward.code,
    defaultName: reward.name,
    readerLocale: locale,
    localisedNames: reward.names,
    currency: reward.currency,
    cost: reward.cost,
    stockRemaining: reward.stockRemaining,
    kind: reward.kind,
    names: LocalisedNameView.list(reward.names),
    amounts: Object.keys(reward.amounts ?? {})
      .sort()
      .map((currency) => MoneyView.of({ minor: BigInt(reward.amounts![currency]), currency })),
    percentOff: reward.percentOff,
    perMemberLimit: reward.perMemberLimit,
    minTierCode: reward.minTierCode,
    startsAt: reward.startsAt,
    endsAt: reward.endsAt,
    markets: reward.markets,
    retiredAt: reward.retiredAt,
  };
}

function toRedemptionView({ redemption, reward }: RedemptionResult): RewardRedemptionView {
  return {
    id: redemption.id,
    reward: toRewardView(reward),
    voucherCode: redemption.voucherCode,
    createdAt: redemption.createdAt,
    expiresAt: redemption.expiresAt,
    points: redemption.points,
    usedAt: redemption.consumedAt,
    orderRef: redemption.consumedOrderRef,
  };
}

function toVoucherView(voucher: Awaited<ReturnType<RewardService['consumeVoucher']>>): VoucherView {
  const { redemption, reward, status } = voucher;
  return {
    code: redemption.voucherCode,
    status,
    reward: toRewardView(reward),
    memberId: redemption.memberId,
    expiresAt: redemption.expiresAt,
    usedAt: redemption.consumedAt,
    orderRef: redemption.consumedOrderRef,
  };
}

@Resolver()
export class RewardResolver {
  @Authorized()
  @Query(() => RewardConnection, {
    description:
      'The rewards catalog the caller may redeem: a member its own (tier, market, locale); other roles for memberId when given, else every reward not retired.',
  })
  async rewards(
    @Ctx() context: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('memberId', () => ID, { nullable: true, description: 'Storefront, support and admin: list what this member may redeem.' }) memberId?: string,
  ): Promise<Connection<RewardView>> {
    const page = await context.rewards.list(context, pageRequest(first ?? DEFAULT_PAGE_SIZE, after), memberId);
    return { edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: toRewardView(edge.node) })), pageInfo: page.pageInfo };
  }

  @Authorized('admin')
  @Mutation(() => RewardView, { description: 'Add a reward to the catalog (admin).' })
  async createReward(@Ctx() context: RequestContext, @Arg('input') input: CreateRewardInput): Promise<RewardView> {
    return toRewardView(await context.rewards.create(context, input));
  }

  @Authorized('admin')
  @Mutation(() => RewardView, { description: 'Change a reward (admin).' })
  async updateReward(@Ctx() context: RequestContext, @Arg('input') input: UpdateRewardInput): Promise<RewardView> {
    return toRewardView(await context.rewards.update(context, input));
  }

  @Authorized('admin')
  @Mutation(() => RewardView, { description: "Retire a reward (admin): no new redemptions; issued vouchers work until they expire." })
  async retireReward(@Ctx() context: RequestContext, @Arg('id', () => ID) id: string): Promise<RewardView> {
    return toRewardView(await context.rewards.retire(context, id));
  }

  @Authorized('member', 'storefront', 'admin')
  @Mutation(() => RewardRedemptionView, { description: 'Spend points on a catalog reward and receive a voucher code. Idempotent on idempotencyKey.' })
  async redeemReward(@Ctx() context: RequestContext, @Arg('input') input: RedeemRewardInput): Promise<RewardRedemptionView> {
    return toRedemptionView(await context.rewards.redeem(context, input));
  }

  @Authorized('storefront', 'admin')
  @Query(() => VoucherView, { nullable: true, description: 'A voucher code at checkout (storefront, admin); null when no such voucher was issued.' })
  async validateVoucher(@Ctx() context: RequestContext, @Arg('code') code: string): Promise<VoucherView | null> {
    const voucher = await context.rewards.validateVoucher(context, code);
    return voucher ? toVoucherView(voucher) : null;
  }

  @Authorized('storefront', 'admin')
  @Mutation(() => VoucherView, { description: 'Use a voucher for an order, once; again for the same orderRef returns it unchanged (storefront, admin).' })
  async consumeVoucher(@Ctx() context: RequestContext, @Arg('code') code: string, @Arg('orderRef') orderRef: string): Promise<VoucherView> {
    return toVoucherView(await context.rewards.consumeVoucher(context, code, orderRef));
  }
}

@Resolver(() => RewardView)
export class RewardNameResolver {
  @FieldResolver(() => String, { description: "The name in `locale`, else in the reader's locale (a member's own), else the default name." })
  name(@Root() reward: RewardView, @Arg('locale', () => String, { nullable: true }) locale?: string | null): string {
    return localisedName(reward.defaultName, reward.localisedNames, locale ?? reward.readerLocale);
  }
}

/** Member fields of the rewards programme (merged into Member by type-graphql). */
@Resolver(() => MemberView)
export class MemberRedemptionsResolver {
  @FieldResolver(() => RewardRedemptionConnection, { description: 'Reward redemptions (vouchers issued), newest first.' })
  async redemptions(
    @Root() member: Member,
    @Ctx() context: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const readerLocale = context.principal?.role === 'member' ? member.locale : null;
    const connection = await redemptionsOf(context.em, member.id, pageRequest(first ?? DEFAULT_PAGE_SIZE, after), readerLocale);
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: toRedemptionView(edge.node) })) };
  }
}
