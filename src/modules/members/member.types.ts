import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyInput } from '../../graphql/money.types';
import { ConnectionType } from '../../graphql/pagination';
import { MemberStatus } from './member.entity';

registerEnumType(MemberStatus, { name: 'MemberStatus' });

/** The API view of a member; resolvers return Member entities, whose properties carry the same names. */
@ObjectType('Member')
export class MemberView {
  @Field(() => ID)
  id!: string;

  @Field()
  externalId!: string;

  @Field()
  email!: string;

  @Field({ description: 'ISO 3166-1 alpha-2.' })
  country!: string;

  @Field({ description: 'BCP 47.' })
  locale!: string;

  @Field(() => MemberStatus)
  status!: MemberStatus;

  @Field()
  joinedAt!: Date;

  @Field(() => String, { nullable: true, description: 'MM-DD.' })
  birthday!: string | null;

  @Field(() => String, { nullable: true, description: 'Where the member came from, such as tiktok or organic.' })
  acquisitionChannel!: string | null;
}

export const MemberConnection = ConnectionType('Member', MemberView);

@InputType('EnrollMemberInput')
export class EnrollMemberInput {
  @Field()
  externalId!: string;

  @Field()
  email!: string;

  @Field({ description: 'ISO 3166-1 alpha-2.' })
  country!: string;

  @Field(() => String, { nullable: true, description: 'BCP 47, such as en-US or id-ID.' })
  locale?: string | null;

  @Field(() => String, { nullable: true, description: 'MM-DD.' })
  birthday?: string | null;

  @Field(() => String, { nullable: true, description: 'Where the member came from, such as tiktok, google_ads, referral, organic.' })
  acquisitionChannel?: string | null;

  @Field(() => MoneyInput, { nullable: true })
  acquisitionCost?: MoneyInput | null;

  @Field(() => Date, { nullable: true, description: 'For importing existing users; defaults to now.' })
  joinedAt?: Date | null;

  @Field(() => String, { nullable: true, description: "A referrer's code (any case). Unknown codes fail with REFERRAL_INVALID and enrol nobody." })
  referralCode?: string | null;

  @Field(() => String, { nullable: true, description: "The shopper's device id, for the referral fraud rules." })
  deviceId?: string | null;

  @Field(() => String, { nullable: true, description: "The shopper's IP address, for the referral fraud rules and look-up limits." })
  ip?: string | null;

  @Field(() => String, { nullable: true, description: "The member's Stripe customer (cus_...): its payments earn for this member. One member per customer." })
  stripeCustomerId?: string | null;
}
