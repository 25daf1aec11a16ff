import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { MoneyView } from '../../graphql/money.types';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import { Member } from './member.entity';
import { EnrollMemberInput, MemberConnection, MemberView } from './member.types';

@Resolver(() => MemberView)
export class MemberResolver {
  @Authorized()
  @Query(() => MemberView, { nullable: true, description: "The signed-in member (a member token's sub is the member's externalId)." })
  me(@Ctx() context: RequestContext, @Info() info: GraphQLResolveInfo): Promise<Member | null> {
    // The member and every status field the query selects come in one statement.
    context.memberStatus.want(info);
    return context.members.me(context);
  }

  @Authorized('member', 'storefront', 'support', 'admin')
  @Query(() => MemberView, {
    nullable: true,
    description: "One member by id, by the platform's own user id, or by email. Storefront, support and admin; a member only itself.",
  })
  member(
    @Ctx() context: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string,
    @Arg('externalId', () => String, { nullable: true }) externalId?: string,
    @Arg('email', () => String, { nullable: true }) email?: string,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<Member | null> {
    if (info) context.memberStatus.want(info);
    return context.members.find(context, { id, externalId, email });
  }

  @Authorized('support', 'admin')
  @Query(() => MemberConnection, {
    description: 'Support search over email, external id and referral code; an empty query lists every member. Newest first. Support and admin.',
  })
  searchMembers(
    @Ctx() context: RequestContext,
    @Arg('query') query: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return context.members.search(context, query, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
  }

  @Authorized('storefront', 'admin')
  @Mutation(() => MemberView, { description: 'Enrol a platform user as a member (storefront, admin). Idempotent on externalId.' })
  enrollMember(@Ctx() context: RequestContext, @Arg('input') input: EnrollMemberInput): Promise<Member> {
    return context.members.enroll(context, input);
  }

  @FieldResolver(() => MoneyView, { nullable: true, description: 'What acquiring the member cost, when known.' })
  acquisitionCost(@Root() member: Member): MoneyView | null {
    if (member.acquisitionCostMinor === null || member.acquisitionCostCurrency === null) return null;
    return MoneyView.of({ minor: member.acquisitionCostMinor, currency: member.acquisitionCostCurrency });
  }
}
