import { Ctx, Extensions, FieldResolver, Resolver, Root } from 'type-graphql';
import { PER_PAGE } from '../../graphql/cost';
import type { RequestContext } from '../../graphql/context';
import { perRequest } from '../../graphql/request-loaders';
import { PointsHoldView } from '../checkout/checkout.types';
import type { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';
import { OPEN_HOLDS_LIMIT, openHoldsLoader } from './open-holds';

/** The member's open holds for the support view; outside src/modules/checkout, read-only, so checkout stays untouched. */
@Resolver(() => MemberView)
export class MemberHoldsResolver {
  @Extensions({ cost: PER_PAGE }) // served by a batched loader: one read per page
  @FieldResolver(() => [PointsHoldView], { description: `Open holds (HELD, not expired), newest first, at most ${OPEN_HOLDS_LIMIT}.` })
  async holds(@Root() member: Member, @Ctx() context: RequestContext): Promise<PointsHoldView[]> {
    const loader = perRequest(context, 'openHolds', () => openHoldsLoader(context.em, new Date()));
    return (await loader.load(member.id)).map((hold) => PointsHoldView.of(hold));
  }
}
