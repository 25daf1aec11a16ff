import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Resolver, Root, Extensions } from 'type-graphql';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import { emptyBalance } from './balance.service';
import { createPointsCurrency, DEFAULT_POINTS_CURRENCY, pointsCurrencyOrFail } from './points-currency.service';
import { AdjustPointsInput, CreatePointsCurrencyInput, LedgerEntryConnection, LedgerEntryType, PointsBalanceView, PointsCurrencyView } from './ledger.types';

@Resolver(() => MemberView)
export class LedgerResolver {
  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [PointsBalanceView], { description: 'One balance per points currency the member has touched; PTS always.' })
  async balances(@Root() member: Member, @Ctx() context: RequestContext): Promise<PointsBalanceView[]> {
    const balances = await context.balances.byMember.load(member.id);
    const withPts = balances.some((balance) => balance.currency === DEFAULT_POINTS_CURRENCY) ? balances : [emptyBalance(DEFAULT_POINTS_CURRENCY), ...balances];
    return withPts.map(PointsBalanceView.of);
  }

  @FieldResolver(() => PointsBalanceView)
  async balance(
    @Root() member: Member,
    @Ctx() context: RequestContext,
    @Arg('currency', () => String, { nullable: true, defaultValue: DEFAULT_POINTS_CURRENCY }) currency: string | null,
  ): Promise<PointsBalanceView> {
    const pointsCurrency = await pointsCurrencyOrFail(context.em, currency);
    return PointsBalanceView.of(await context.balances.balanceOf(member.id, pointsCurrency.code));
  }

  @FieldResolver(() => LedgerEntryConnection, {
    description: 'Ledger entries, newest first.',
  })
  async ledger(
    @Root() member: Member,
    @Ctx() context: RequestContext,
    @Arg('currency', () => String, { nullable: true }) currency: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    const code = currency == null ? null : (await pointsCurrencyOrFail(context.em, currency)).code;
    const connection = await context.balances.entriesOf(member.id, code, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: LedgerEntryType.of(edge.node) })) };
  }

  @Authorized('support', 'admin')
  @Mutation(() => LedgerEntryType, { description: 'Grant or remove points by hand, with a reason (support within limits, admin).' })
  async adjustPoints(@Ctx() context: RequestContext, @Arg('input') input: AdjustPointsInput): Promise<LedgerEntryType> {
    return LedgerEntryType.of(await context.adjustments.adjust(input));
  }

  @Authorized('admin')
  @Mutation(() => PointsCurrencyView, { description: 'Add a points currency to the programme (admin).' })
  async createPointsCurrency(@Ctx() context: RequestContext, @Arg('input') input: CreatePointsCurrencyInput): Promise<PointsCurrencyView> {
    const currency = await createPointsCurrency(context.em, input);
    await context.audit.record('points-currency.create', [null], { code: currency.code });
    return Object.assign(new PointsCurrencyView(), currency);
  }
}
