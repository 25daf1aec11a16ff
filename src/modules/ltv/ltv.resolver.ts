import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, Extensions, FieldResolver, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { BadUserInputError } from '../../errors';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import type { Member } from '../members/member.entity';
import { MemberConnection, MemberView } from '../members/member.types';
import { LtvModelView, LtvProfileView, LtvRunAttemptView, LtvRunView } from './ltv.types';
import { ltvProfileView } from './ltv.service';

@Resolver(() => MemberView)
export class LtvResolver {
  @Authorized('admin')
  @Query(() => LtvModelView, { nullable: true, description: 'The fitted population LTV model (admin): the latest successful run.' })
  ltvModel(@Ctx() context: RequestContext): Promise<LtvModelView | null> {
    return context.ltv.model(context);
  }

  @Authorized('admin')
  @Query(() => [LtvRunAttemptView], { description: 'The latest LTV runs, newest first, failed ones with their error (admin). first: 1 to 100.' })
  ltvRuns(@Ctx() context: RequestContext, @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null): Promise<LtvRunAttemptView[]> {
    const count = first ?? 20;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new BadUserInputError('first', 'must be between 1 and 100');
    return context.ltv.runs(context, count);
  }

  @Authorized('admin')
  @Mutation(() => LtvRunView, {
    description:
      'Refit the LTV model and rescore every member as of a date (admin). Orders after asOf are ignored. Defaults to now. One run at a time: a call during a run waits for it, then runs.',
  })
  recomputeLtv(@Ctx() context: RequestContext, @Arg('asOf', () => Date, { nullable: true }) asOf: Date | null): Promise<LtvRunView> {
    return context.ltv.recompute(context, asOf);
  }

  @Authorized('support', 'admin')
  @Query(() => MemberConnection, {
    description: 'Churn early warning (support, admin): members in the VIP or HIGH LTV tier with HIGH churn risk, highest predicted value first.',
  })
  membersAtRisk(
    @Ctx() context: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return context.ltv.membersAtRisk(context, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => LtvProfileView, { nullable: true, description: 'Null until the first LTV run has scored this member.' })
  async ltv(@Root() member: Member, @Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<LtvProfileView | null> {
    const { ltv } = await context.memberStatus.of(member, info);
    return ltv ? ltvProfileView(ltv, context.config.baseCurrency) : null;
  }
}
