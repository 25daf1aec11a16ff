import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A lot whose coming expiry was announced (points.expiring): each lot is announced once. */
@Entity({ tableName: 'points_expiry_notices' })
export class PointsExpiryNotice {
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  lotId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'timestamptz' })
  noticedAt!: Date;
}
