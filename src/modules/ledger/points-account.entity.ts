import { Check, Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A ledger account: one per (member, points currency), and one per (system purpose, currency).
 * Member accounts keep their balances here, updated in the same transaction as their entries.
 * System accounts (issuance, redemption, expiry, reversal, adjustment, referral) are counterparties only:
 * their balances are derived from the entries, because a counter on them would serialise every transfer.
 */
@Entity({ tableName: 'points_accounts' })
@Check({ name: 'points_accounts_one_owner', expression: '("member_id" is null) <> ("system_code" is null)' })
@Check({ name: 'points_accounts_buckets_non_negative', expression: '"pending" >= 0 and "held" >= 0' })
@Unique({ properties: ['memberId', 'currency'] })
@Unique({ properties: ['systemCode', 'currency'] })
export class PointsAccount {
  [OptionalProps]?: 'posted' | 'pending' | 'held' | 'memberId' | 'systemCode';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'uuid', nullable: true })
  memberId: string | null = null;

  @Property({ type: 'text', nullable: true })
  systemCode: string | null = null;

  /** Settled points: vested earnings less spending, expiry and reversals. Negative only through refund clawback. */
  @Property({ type: 'bigint', default: 0 })
  posted: string = '0';

  /** Earned, not yet vested (inside the return window). */
  @Property({ type: 'bigint', default: 0 })
  pending: string = '0';

  /** Reserved by HELD checkout holds (including any past expiry not yet swept; reads subtract those). */
  @Property({ type: 'bigint', default: 0 })
  held: string = '0';
}
