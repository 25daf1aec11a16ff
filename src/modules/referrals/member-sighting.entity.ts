import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum SightingKind {
  DEVICE = 'DEVICE',
  IP = 'IP',
}

/**
 * A device id or IP address a member was seen with (given on enrolment), and when last, stored as a keyed hash
 * (personalDataHash): the rules compare hashes. Sightings older than SIGHTING_RETENTION_DAYS are deleted. The referral fraud
 * rules reject a referral whose referee shares one with the referrer within the signal window.
 */
@Entity({ tableName: 'member_sightings' })
@Index({ properties: ['kind', 'value'] })
@Index({ properties: ['seenAt'] })
export class MemberSighting {
  [OptionalProps]?: 'seenAt';

  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @PrimaryKey({ type: 'text' })
  kind!: SightingKind;

  /** HMAC-SHA256 (hex) of the device id or IP, keyed with PRIVACY_HASH_SECRET. */
  @PrimaryKey({ type: 'text' })
  value!: string;

  @Property({ type: 'timestamptz' })
  seenAt: Date = new Date();
}
