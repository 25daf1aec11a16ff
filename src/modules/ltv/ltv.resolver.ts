import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root, Extensions } from 'type-graphql';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import type { Member } from '../members/member.entity';
import { MemberConnection, MemberView } from '../members/member.types';
import { LtvModelView, LtvProfileView, LtvRunView } from './ltv.types';

@Resolver(() => MemberView)
export class LtvResolver {
  @Authorized('admin')
  @Query(() => LtvModelView, { nullable: true, description: 'The fitted population LTV model (admin): the latest successful run.' })
  ltvModel(@Ctx() context: RequestContext): Promise<LtvModelView | null> {
    return context.ltv.model();
  }

  @Authorized('admin')
  @Mutation(() => LtvRunView, {
    description:
      'Refit the LTV model and rescore every member as of a date (admin). Orders after asOf are ignored. Defaults to now. One run at a time: a call during a run waits for it, then runs.',
  })
  recomputeLtv(@Ctx() context: RequestContext, @Arg('asOf', () => Date, { nullable: true }) asOf: Date | null): Promise<LtvRunView> {
    return context.ltv.recompute(asOf);
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
    return context.ltv.membersAtRisk(pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
  }

  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => LtvProfileView, { nullable: true, description: 'Null until the first LTV run has scored this member.' })
  ltv(@Root() member: Member, @Ctx() context: RequestContext): Promise<LtvProfileView | null> {
    return context.ltv.profileByMember.load(member.id);
  }
}
