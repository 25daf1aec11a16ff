import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, Extensions, FieldResolver, Info, Int, Mutation, Resolver, Root } from 'type-graphql';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import { emptyBalance } from './balance.service';
import { DEFAULT_POINTS_CURRENCY, pointsCurrencyCodeOrFail, pointsCurrencyOrFail } from './points-currency.service';
import { AdjustPointsInput, CreatePointsCurrencyInput, LedgerEntryConnection, LedgerEntryType, PointsBalanceView, PointsCurrencyView } from './ledger.types';

@Resolver(() => MemberView)
export class LedgerResolver {
  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [PointsBalanceView], { description: 'One balance per points currency the member has touched; PTS always.' })
  async balances(@Root() member: Member, @Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<PointsBalanceView[]> {
    const balances = (await context.memberStatus.of(member, info)).balances!;
    const withPts = balances.some((balance) => balance.currency === DEFAULT_POINTS_CURRENCY) ? balances : [emptyBalance(DEFAULT_POINTS_CURRENCY), ...balances];
    return withPts.map(PointsBalanceView.of);
  }

  @FieldResolver(() => PointsBalanceView)
  async balance(
    @Root() member: Member,
    @Ctx() context: RequestContext,
    @Arg('currency', () => String, { nullable: true, defaultValue: DEFAULT_POINTS_CURRENCY }) currency: string | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<PointsBalanceView> {
    const code = pointsCurrencyCodeOrFail(currency);
    const balances = (await context.memberStatus.of(member, info)).balances!;
    const balance = balances.find((candidate) => candidate.currency === code);
    if (balance) return PointsBalanceView.of(balance);
    // No account in that currency yet: an empty balance if the currency exists (PTS always does).
    if (code !== DEFAULT_POINTS_CURRENCY) await pointsCurrencyOrFail(context.em, currency);
    return PointsBalanceView.of(emptyBalance(code));
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
    const connection = await context.balances.entriesOf(context, member.id, code, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: LedgerEntryType.of(edge.node) })) };
  }

  @Authorized('support', 'admin')
  @Mutation(() => LedgerEntryType, { description: 'Grant or remove points by hand, with a reason (support within limits, admin).' })
  async adjustPoints(@Ctx() context: RequestContext, @Arg('input') input: AdjustPointsInput): Promise<LedgerEntryType> {
    // Every invalid field at once (the service checks the same again and reports the first).
    return LedgerEntryType.of(await context.adjustments.adjust(context, input));
  }

  @Authorized('admin')
  @Mutation(() => PointsCurrencyView, { description: 'Add a points currency to the programme (admin).' })
  async createPointsCurrency(@Ctx() context: RequestContext, @Arg('input') input: CreatePointsCurrencyInput): Promise<PointsCurrencyView> {
    const currency = await context.pointsCurrencies.create(context, input);
    return Object.assign(new PointsCurrencyView(), currency);
  }
}
