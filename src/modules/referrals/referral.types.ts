import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../../graphql/pagination';
import { ReferralStatus } from './referral.entity';

registerEnumType(ReferralStatus, { name: 'ReferralStatus' });

@ObjectType('Referral')
export class ReferralView {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The code the referee signed up with.' })
  code!: string;

  @Field(() => ReferralStatus)
  status!: ReferralStatus;

  @Field(() => String, { nullable: true, description: 'Why it was rejected, such as SELF_REFERRAL or DUPLICATE_PAYMENT_METHOD.' })
  rejectionReason!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  qualifiedAt!: Date | null;
}

/** Who was referred, as support sees a member in a list. */
@ObjectType('Referee')
export class RefereeView {
  @Field(() => ID)
  id!: string;

  @Field()
  externalId!: string;

  @Field()
  email!: string;
}

export const ReferralConnection = ConnectionType('Referral', ReferralView);

@ObjectType('ReferralCodeInfo')
export class ReferralCodeInfo {
  @Field({ description: 'The code as normalised (upper case).' })
  code!: string;

  @Field()
  valid!: boolean;
}
