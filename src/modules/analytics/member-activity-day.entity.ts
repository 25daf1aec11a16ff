import { Entity, Index, PrimaryKey } from '@mikro-orm/core';

/**
 * One row per member per UTC day on which the member made an authenticated request: the source of DAU and
 * MAU. Written by the server (ActivityRecorder) with an insert that does nothing when the row exists.
 */
@Entity({ tableName: 'member_activity_days' })
@Index({ properties: ['day'], name: 'member_activity_days_day_idx' })
export class MemberActivityDay {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @PrimaryKey({ type: 'date' })
  day!: string;
}
