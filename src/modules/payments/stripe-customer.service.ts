import { isUniqueViolation } from '../../db/errors';
import { BadUserInputError, checkFieldsAsync } from '../../errors';
import type { StatusScope } from '../../graphql/context';
import type { AuditService } from '../audit/audit.service';
import { Member } from '../members/member.entity';
import type { MemberService } from '../members/member.service';
import { stripeCustomerIdOrFail } from '../members/member.validation';

/** Links members to Stripe customers, so that a customer's payments earn for its member. */
export class StripeCustomerService {
  constructor(
    private readonly members: MemberService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Links the member to the customer (replacing any earlier link of that member). Linking it again is a no-op;
   * a customer already linked to another member is BAD_USER_INPUT.
   */
  async link(scope: StatusScope, memberId: string, customerId: string): Promise<Member> {
    const { member, customer } = await checkFieldsAsync({
      member: () => this.members.actionTargetOrFail(scope, memberId),
      customer: () => stripeCustomerIdOrFail(customerId, 'customerId'),
    });
    try {
      return await scope.em.transactional(async (tx) => {
        const [row] = await tx.execute<Record<string, unknown>[]>('update members set stripe_customer_id = ? where id = ? returning *', [customer, member.id]);
        await this.audit.record(scope, 'member.link_stripe_customer', [member.id], { customerId: customer }, tx);
        return tx.map(Member, row);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'members_stripe_customer_id_unique')) throw new BadUserInputError('customerId', 'is linked to another member');
      throw error;
    }
  }
}
