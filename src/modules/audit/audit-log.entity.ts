import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** Append-only record of every support or admin read of a member and every support or admin mutation. */
@Entity({ tableName: 'audit_log' })
@Index({ properties: ['memberId', 'at'] })
@Index({ properties: ['memberId', 'id'] })
@Index({ properties: ['action', 'id'] })
@Index({ properties: ['actor', 'id'] })
export class AuditLog {
  [OptionalProps]?: 'at' | 'memberId' | 'requestId' | 'details';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /** The token's sub. */
  @Property({ type: 'text' })
  actor!: string;

  @Property({ type: 'text' })
  role!: string;

  /** Such as member.read, member.search, member.enroll. */
  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'uuid', nullable: true })
  memberId: string | null = null;

  @Property({ type: 'text', nullable: true })
  requestId: string | null = null;

  @Property({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null = null;

  @Property({ type: 'timestamptz' })
  at: Date = new Date();
}
