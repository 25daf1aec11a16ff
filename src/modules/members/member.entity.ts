import { BigIntType, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export enum MemberStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  ERASED = 'ERASED',
}

@Entity({ tableName: 'members' })
@Index({ name: 'members_email_prefix_idx', expression: 'create index "members_email_prefix_idx" on "members" ("email" text_pattern_ops)' })
@Index({
  name: 'members_external_id_prefix_idx',
  expression: 'create index "members_external_id_prefix_idx" on "members" ("external_id" text_pattern_ops)',
})
@Index({ properties: ['joinedAt'], name: 'members_joined_at_idx' })
export class Member {
  [OptionalProps]?: 'status' | 'joinedAt' | 'createdAt' | 'birthday' | 'acquisitionChannel' | 'acquisitionCostMinor' | 'acquisitionCostCurrency' | 'stripeCustomerId';

  /** UUIDv7: unique across replicas and ordered by creation, so it doubles as a stable cursor. */
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  /** The shop platform's own user id; a member token's sub. */
  @Unique()
  @Property({ type: 'text' })
  externalId!: string;

  /** Trimmed and lower-cased. */
  @Unique()
  @Property({ type: 'text' })
  email!: string;

  /** ISO 3166-1 alpha-2, upper case. */
  @Property({ type: 'text' })
  country!: string;

  /** BCP 47, canonical form (en-US). */
  @Property({ type: 'text' })
  locale!: string;

  /** MM-DD. */
  @Property({ type: 'text', nullable: true })
  birthday: string | null = null;

  @Enum({ items: () => MemberStatus })
  status: MemberStatus = MemberStatus.ACTIVE;

  @Property({ type: 'text', nullable: true })
  acquisitionChannel: string | null = null;

  /** Minor units of acquisitionCostCurrency. */
  @Property({ type: new BigIntType('bigint'), nullable: true })
  acquisitionCostMinor: bigint | null = null;

  @Property({ type: 'text', nullable: true })
  acquisitionCostCurrency: string | null = null;

  /** The Stripe customer (cus_...) whose payments earn for this member; one member per customer. */
  @Unique()
  @Property({ type: 'text', nullable: true })
  stripeCustomerId: string | null = null;

  @Property({ type: 'timestamptz' })
  joinedAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /** Upper case; generated at enrolment (newReferralCode) or set as a vanity code. Case-insensitive for clients. */
  @Unique()
  @Property({ type: 'text' })
  referralCode!: string;

  /** Hash of the normalised enrolment input: a replay with other input is an IDEMPOTENCY_CONFLICT. */
  @Property({ type: 'text' })
  enrollmentHash!: string;
}
