import { Field, ID, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../graphql/pagination';
import type { AuditLog } from '../audit/audit-log.entity';

@ObjectType('MemberDataExport')
export class MemberDataExportView {
  @Field(() => ID)
  memberId!: string;

  @Field()
  generatedAt!: Date;

  @Field({
    description:
      'A JSON document: profile, tier history, balances, ledger, holds, orders and refunds, referrals, reward redemptions and vouchers, LTV scores, perks, device and IP sightings, card fingerprints, and the audit entries about the member.',
  })
  json!: string;
}

@ObjectType('PointsAmount')
export class PointsAmountView {
  @Field()
  currency!: string;

  @Field(() => Int)
  points!: number;
}

@ObjectType('MemberErasure')
export class MemberErasureView {
  @Field(() => ID)
  memberId!: string;

  @Field()
  erasedAt!: Date;

  @Field(() => [PointsAmountView], { description: 'Points forfeited by the erasure, one entry per points currency with a balance.' })
  forfeited!: PointsAmountView[];
}

@ObjectType('AuditEntry')
export class AuditEntryView {
  @Field(() => ID)
  id!: string;

  @Field()
  at!: Date;

  @Field({ description: "The caller's role (support, admin, storefront, member) and token subject; system for the programme's own jobs." })
  actorRole!: string;

  @Field()
  actor!: string;

  @Field({ description: 'What was done, such as member.read, points.adjust, tier.update, member.erase.' })
  action!: string;

  @Field(() => [ID], { description: 'The members the entry is about.' })
  memberIds!: string[];

  @Field(() => String, { nullable: true, description: 'Details as a JSON document, or null.' })
  details!: string | null;

  static of(entry: AuditLog): AuditEntryView {
    return Object.assign(new AuditEntryView(), {
      id: entry.id,
      at: entry.at,
      actorRole: entry.role,
      actor: entry.actor,
      action: entry.action,
      memberIds: entry.memberId ? [entry.memberId] : [],
      details: entry.details == null ? null : JSON.stringify(entry.details),
    });
  }
}

export const AuditEntryConnection = ConnectionType('AuditEntry', AuditEntryView);
