import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, Extensions, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isStaff } from '../../auth/principal';
import { PER_PAGE } from '../../graphql/cost';
import { perRequest } from '../../graphql/request-loaders';
import type { RequestContext } from '../../graphql/context';
import { DEFAULT_PAGE_SIZE, pageRequest } from '../../graphql/pagination';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import type { Referral } from './referral.entity';
import { refereesOf } from './referral.service';
import { RefereeView, ReferralCodeInfo, ReferralConnection, ReferralView } from './referral.types';

@Resolver()
export class ReferralResolver {
  @Query(() => ReferralCodeInfo, {
    nullable: true,
    description: 'Public check of a referral code, for sign-up forms. Failed look-ups are limited per client (RATE_LIMITED).',
  })
  referralCode(@Ctx() context: RequestContext, @Arg('code') code: string): Promise<ReferralCodeInfo> {
    return context.referrals.lookup(context, code);
  }

  @Authorized('member', 'admin')
  @Mutation(() => MemberView, { description: 'Set a vanity referral code (admin for anyone, a member for itself): 5 to 16 letters or digits 2-9, unique.' })
  setReferralCode(@Ctx() context: RequestContext, @Arg('memberId', () => ID) memberId: string, @Arg('code') code: string): Promise<Member> {
    return context.referrals.setReferralCode(context, memberId, code);
  }
}

/** Member fields of the referral programme (merged into Member by type-graphql). */
@Resolver(() => MemberView)
export class MemberReferralsResolver {
  @FieldResolver(() => String, { description: "The member's referral code (upper case; accepted in any case)." })
  referralCode(@Root() member: Member): string {
    return member.referralCode;
  }

  @FieldResolver(() => ReferralConnection, {
    description: 'Referrals this member made, newest first.',
  })
  referrals(
    @Ctx() context: RequestContext,
    @Root() member: Member,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return context.referrals.referralsOf(context, member.id, pageRequest(first ?? DEFAULT_PAGE_SIZE, after));
  }
}

@Resolver(() => ReferralView)
export class ReferralRefereeResolver {
  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => RefereeView, { nullable: true, description: 'Who was referred (support and admin; null for other callers).' })
  async referee(@Root() referral: Referral, @Ctx() context: RequestContext): Promise<RefereeView | null> {
    if (!isStaff(context.principal)) return null;
    const loader = perRequest(context, 'referees', () => new DataLoader<string, RefereeView | null>(async (ids) => {
      const found = await refereesOf(context.em, ids);
      return ids.map((id) => found.get(id) ?? null);
    }));
    return loader.load(referral.memberId);
  }
}
