import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Member } from '../members/member.entity';
import { MemberView } from '../members/member.types';

@Resolver(() => MemberView)
export class PaymentsResolver {
  @Authorized('storefront', 'admin')
  @Mutation(() => MemberView, {
    description: "Link a member to a Stripe customer (cus_...): the customer's payments then earn for the member (storefront, admin). One member per customer.",
  })
  linkStripeCustomer(@Ctx() context: RequestContext, @Arg('memberId', () => ID) memberId: string, @Arg('customerId') customerId: string): Promise<Member> {
    return context.stripeCustomers.link(context, memberId, customerId);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The linked Stripe customer (cus_...), if any.' })
  stripeCustomerId(@Root() member: Member): string | null {
    return member.stripeCustomerId ?? null;
  }
}
