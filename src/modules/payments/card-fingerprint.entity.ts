import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A payment card a member has paid with, by Stripe's card fingerprint (the same card gives the same
 * fingerprint across customers). Written by the Stripe webhooks; read by the referral fraud rules, which
 * reject a referral when referrer and referee share a card.
 */
@Entity({ tableName: 'member_card_fingerprints' })
@Index({ properties: ['fingerprint'] })
export class MemberCardFingerprint {
  [OptionalProps]?: 'firstSeenAt';

  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @PrimaryKey({ type: 'text' })
  fingerprint!: string;

  @Property({ type: 'timestamptz' })
  firstSeenAt: Date = new Date();
}
