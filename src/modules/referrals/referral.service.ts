import type { EntityManager } from '@mikro-orm/postgresql';
import { isUniqueViolation } from '../../db/errors';
import { BadUserInputError, checkFieldsAsync, ReferralInvalidError } from '../../errors';
import type { Config } from '../../config/config';
import type { RequestScope, StatusScope } from '../../graphql/context';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { uuidOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { Member, MemberStatus } from '../members/member.entity';
import type { MemberService } from '../members/member.service';
import { SightingKind } from './member-sighting.entity';
import { personalDataHash } from '../privacy/personal-data-hash';
import { canonicalEmail, normaliseReferralCode, vanityCodeOrFail } from './referral-code';
import { assertLookupAllowed, lookupClientKey, recordFailedLookup } from './referral-limiter';
import { Referral, ReferralStatus, RejectionReason } from './referral.entity';
import { ReferralFacts, rejectionReason } from './referral-rules';

/** The member a referral code belongs to, as the referral rules need it. */
export interface Referrer {
  id: string;
  referralCode: string;
}

/** Device id and IP given on enrolment. */
export interface EnrolmentSignals {
  deviceId: string | null;
  ip: string | null;
}

const CODE_SHAPE = /^[A-Z0-9]{1,32}$/;

async function activeReferrerByCode(em: EntityManager, code: string): Promise<Referrer | null> {
  if (!CODE_SHAPE.test(code)) return null;
  const [row] = await em.execute<{ id: string; referral_code: string }[]>(
    'select id, referral_code from members where referral_code = ? and status = ?',
    [code, MemberStatus.ACTIVE],
  );
  return row ? { id: row.id, referralCode: row.referral_code } : null;
}

/**
 * The referrer for an enrolment's referral code: REFERRAL_INVALID for an unknown (or inactive) code, and
 * RATE_LIMITED once the client (the shopper's IP when given, else the caller) failed too often.
 */
export async function referrerByCodeOrFail(scope: RequestScope, code: string, shopperIp: string | null): Promise<Referrer> {
  const key = lookupClientKey(scope, shopperIp);
  await assertLookupAllowed(scope, key);
  const referrer = await activeReferrerByCode(scope.em, code);
  if (!referrer) {
    await recordFailedLookup(scope, key);
    throw new ReferralInvalidError(code);
  }
  return referrer;
}

/**
 * Remembers the device id and IP a member enrolled with, for the referral rules: as keyed hashes (personal data is
 * not kept in the clear; the rules only compare them).
 */
export async function recordSightings(tx: EntityManager, memberId: string, signals: EnrolmentSignals, hashSecret: string, at: Date = new Date()): Promise<void> {
  const sightings = [
    ...(signals.deviceId ? [[SightingKind.DEVICE, personalDataHash(hashSecret, SightingKind.DEVICE, signals.deviceId)]] : []),
    ...(signals.ip ? [[SightingKind.IP, personalDataHash(hashSecret, SightingKind.IP, signals.ip)]] : []),
  ];
  for (const [kind, value] of sightings) {
    await tx.execute(
      `insert into member_sightings (member_id, kind, value, seen_at) values (?, ?, ?, ?)
       on conflict (member_id, kind, value) do update set seen_at = greatest(member_sightings.seen_at, excluded.seen_at)`,
      [memberId, kind, value, at],
    );
  }
}

/** The facts the fraud rules need about a referrer and a referee, in one statement. */
export async function referralFacts(tx: EntityManager, referrerId: string, refereeId: string, signalWindowDays: number): Promise<ReferralFacts> {
  const [row] = await tx.execute<{ referrer_status: string; referrer_email: string; referee_email: string; shared_card: boolean; shared_device: boolean; shared_ip: boolean }[]>(
    `select r.status as referrer_status, r.email as referrer_email, e.email as referee_email,
       exists (select 1 from member_card_fingerprints a join member_card_fingerprints b on a.fingerprint = b.fingerprint
               where a.member_id = r.id and b.member_id = e.id) as shared_card,
       exists (select 1 from member_sightings a join member_sightings b on a.kind = b.kind and a.value = b.value
               where a.member_id = r.id and b.member_id = e.id and a.kind = 'DEVICE'
                 and abs(extract(epoch from a.seen_at - b.seen_at)) <= ? * 86400) as shared_device,
       exists (select 1 from member_sightings a join member_sightings b on a.kind = b.kind and a.value = b.value
               where a.member_id = r.id and b.member_id = e.id and a.kind = 'IP'
                 and abs(extract(epoch from a.seen_at - b.seen_at)) <= ? * 86400) as shared_ip
     from members r, members e where r.id = ? and e.id = ?`,
    [signalWindowDays, signalWindowDays, referrerId, refereeId],
  );
  return {
    referrerActive: row.referrer_status === MemberStatus.ACTIVE,
    referrerEmail: row.referrer_email,
    refereeEmail: row.referee_email,
    sharedCard: row.shared_card,
    sharedDevice: row.shared_device,
    sharedIp: row.shared_ip,
  };
}

/**
 * The referral of a member who just enrolled with `referrer`'s code, in the enrolment's transaction:
 * PENDING, or REJECTED with the first fraud rule it breaks (the member is enrolled either way).
 */
export async function createReferral(tx: EntityManager, config: Config, referrer: Referrer, refereeId: string): Promise<Referral> {
  const facts = await referralFacts(tx, referrer.id, refereeId, config.referral.signalWindowDays);
  const reason = rejectionReason(facts, canonicalEmail);
  const now = new Date();
  const [row] = await tx.execute<Record<string, unknown>[]>(
    `insert into referrals (id, member_id, referrer_id, code, status, rejection_reason, created_at, rejected_at)
     values (?, ?, ?, ?, ?, ?, ?, ?) returning *`,
    [new Referral().id, refereeId, referrer.id, referrer.referralCode, reason ? ReferralStatus.REJECTED : ReferralStatus.PENDING, reason, now, reason ? now : null],
  );
  return tx.map(Referral, row);
}

/**
 * For the Stripe webhook, after it stored a card fingerprint for `memberId` (in its transaction): rejects
 * every PENDING referral in which that member is referrer or referee and both sides now share a card.
 * Returns how many it rejected. A referral being qualified concurrently holds its row lock; this waits and
 * then finds it no longer PENDING.
 */
export async function checkReferralAfterCardSeen(tx: EntityManager, memberId: string): Promise<number> {
  const rows = await tx.execute<{ id: string }[]>(
    `update referrals r set status = 'REJECTED', rejection_reason = ?, rejected_at = now()
     where r.status = 'PENDING' and (r.member_id = ? or r.referrer_id = ?)
       and exists (select 1 from member_card_fingerprints a join member_card_fingerprints b on a.fingerprint = b.fingerprint
                   where a.member_id = r.referrer_id and b.member_id = r.member_id)
     returning r.id`,
    [RejectionReason.DUPLICATE_PAYMENT_METHOD, memberId, memberId],
  );
  return rows.length;
}

/** Referral codes for members and sign-up forms, and the referrals a member made. */
export class ReferralService {
  constructor(
    private readonly members: MemberService,
    private readonly audit: AuditService,
  ) {}

  /** Public check of a code for sign-up forms; unknown codes count against the caller's failed look-ups. */
  async lookup(scope: StatusScope, code: string): Promise<{ code: string; valid: boolean }> {
    const normalised = normaliseReferralCode(code);
    const key = lookupClientKey(scope);
    await assertLookupAllowed(scope, key);
    const referrer = await activeReferrerByCode(scope.em, normalised);
    if (!referrer) await recordFailedLookup(scope, key);
    return { code: normalised, valid: referrer !== null };
  }

  /** A vanity code: admins for anyone, a member for itself. BAD_USER_INPUT when malformed, reserved or taken. */
  async setReferralCode(scope: StatusScope, memberId: string, code: string): Promise<Member> {
    const { member, normalised } = await checkFieldsAsync({
      member: () => this.members.actionTargetOrFail(scope, memberId),
      normalised: () => vanityCodeOrFail(code),
    });
    try {
      await scope.em.transactional(async (tx) => {
        await tx.execute('update members set referral_code = ? where id = ?', [normalised, member.id]);
        await this.audit.record(scope, 'member.referral_code', [member.id], { code: normalised }, tx);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'members_referral_code_unique')) throw new BadUserInputError('code', 'is already taken');
      throw error;
    }
    return scope.em.fork().findOneOrFail(Member, { id: member.id });
  }

  /** The referrals a member made, newest first (ids are UUIDv7, so id order is creation order). */
  async referralsOf(scope: StatusScope, referrerId: string, page: PageRequest): Promise<Connection<Referral>> {
    if (page.after) uuidOrFail(page.after, 'after', 'is not a cursor this API returned');
    const rows = await scope.em.find(
      Referral,
      { referrerId, ...(page.after ? { id: { $lt: page.after } } : {}) },
      { orderBy: { id: 'desc' }, limit: page.first + 1 },
    );
    return toConnection(rows, page, (referral) => referral.id);
  }
}

/** The id, externalId and email of each referee, one read for many. */
export async function refereesOf(em: EntityManager, memberIds: readonly string[]): Promise<Map<string, { id: string; externalId: string; email: string }>> {
  if (memberIds.length === 0) return new Map();
  const rows = await em.execute<{ id: string; external_id: string; email: string }[]>('select id, external_id, email from members where id in (?)', [[...memberIds]]);
  return new Map(rows.map((row) => [row.id, { id: row.id, externalId: row.external_id, email: row.email }]));
}
