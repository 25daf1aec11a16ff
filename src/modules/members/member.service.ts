import { isUniqueViolation } from '../../db/errors';
import { BadUserInputError, ForbiddenError, IdempotencyConflictError, NotFoundError, ReferralInvalidError } from '../../errors';
import type { StatusScope } from '../../graphql/context';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { uuidOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { newReferralCode, normaliseReferralCode } from '../referrals/referral-code';
import { createReferral, recordSightings, Referrer, referrerByCodeOrFail } from '../referrals/referral.service';
import { Member, MemberStatus } from './member.entity';
import { enqueueEvent } from '../webhooks/outbox';
import { EnrollmentInput, enrollmentHash, normaliseEmail, normaliseEnrollment } from './member.validation';

/** Exactly one of the three identifies a member. */
export interface MemberSelector {
  id?: string | null;
  externalId?: string | null;
  email?: string | null;
}


export class MemberService {
  constructor(private readonly audit: AuditService) {}

  /**
   * Enrols a member, idempotently on externalId: the same input returns the same member,
   * other input for a known externalId fails with IDEMPOTENCY_CONFLICT.
   */
  async enroll(scope: StatusScope, input: EnrollmentInput, retriedCode = false): Promise<Member> {
    const enrollment = normaliseEnrollment(input);
    const hash = enrollmentHash(enrollment);
    // An unknown code fails before anything is written: nobody is enrolled. A replay of an enrolment whose
    // referrer has since left the programme still answers with the member.
    let referrer: Referrer | null = null;
    if (enrollment.referralCode) {
      try {
        referrer = await referrerByCodeOrFail(scope, enrollment.referralCode, enrollment.ip);
      } catch (error) {
        const enrolled = error instanceof ReferralInvalidError ? await scope.em.fork().findOne(Member, { externalId: enrollment.externalId }) : null;
        if (enrolled?.enrollmentHash === hash) return enrolled;
        throw error;
      }
    }
    try {
      return await scope.em.transactional(async (em) => {
        const inserted = await em
          .createQueryBuilder(Member)
          .insert({
            id: new Member().id,
            externalId: enrollment.externalId,
            email: enrollment.email,
            country: enrollment.country,
            locale: enrollment.locale,
            birthday: enrollment.birthday,
            acquisitionChannel: enrollment.acquisitionChannel,
            acquisitionCostMinor: enrollment.acquisitionCost?.minor ?? null,
            acquisitionCostCurrency: enrollment.acquisitionCost?.currency ?? null,
            joinedAt: enrollment.joinedAt ?? new Date(),
            stripeCustomerId: enrollment.stripeCustomerId,
            createdAt: new Date(),
            enrollmentHash: hash,
            referralCode: newReferralCode(),
          })
          .onConflict('external_id')
          .ignore()
          .returning('id')
          .execute('all');
        const member = await em.findOneOrFail(Member, { externalId: enrollment.externalId });
        if (member.enrollmentHash !== hash) throw new IdempotencyConflictError(`externalId ${enrollment.externalId}`);
        if (inserted.length > 0) {
          await recordSightings(em, member.id, enrollment, scope.config.privacy.hashSecret);
          if (referrer) await createReferral(em, scope.config, referrer, member.id);
          await this.audit.record(scope, 'member.enroll', [member.id], null, em);
          await enqueueEvent(em, { type: 'member.enrolled', memberId: member.id, data: { memberId: member.id, externalId: member.externalId, country: member.country, joinedAt: member.joinedAt } });
        }
        return member;
      });
    } catch (error) {
      // A generated referral code taken by someone else (about one chance in 10^11 per enrolment): try once more.
      if (isUniqueViolation(error, 'members_referral_code_unique') && !retriedCode) return this.enroll(scope, input, true);
      if (isUniqueViolation(error, 'members_email_unique')) {
        throw new BadUserInputError('email', 'already belongs to another member');
      }
      if (isUniqueViolation(error, 'members_stripe_customer_id_unique')) {
        throw new BadUserInputError('stripeCustomerId', 'is linked to another member');
      }
      throw error;
    }
  }

  /** The caller's own member (member tokens); null for other roles or a member not yet enrolled. */
  async me(scope: StatusScope): Promise<Member | null> {
    const principal = scope.principal;
    if (principal?.role !== 'member') return null;
    return scope.memberStatus.find('external_id', principal.subject);
  }

  /** One member by id, externalId or email. A member may only look itself up; staff reads are audited. */
  async find(scope: StatusScope, selector: MemberSelector): Promise<Member | null> {
    const given = (['id', 'externalId', 'email'] as const).filter((key) => selector[key] != null);
    if (given.length !== 1) throw new BadUserInputError('id', 'give exactly one of id, externalId or email');
    let member: Member | null;
    if (selector.id != null) {
      member = await scope.memberStatus.find('id', uuidOrFail(selector.id, 'id', 'is not a member id'));
    } else if (selector.externalId != null) {
      member = await scope.memberStatus.find('external_id', selector.externalId.trim());
    } else {
      member = await scope.memberStatus.find('email', normaliseEmail(selector.email!));
    }
    this.assertMaySee(scope, member);
    if (member) await this.audit.record(scope, 'member.read', [member.id]);
    return member;
  }

  /**
   * Prefix search over email and externalId, or an exact referral code (any case); an empty query lists every
   * member. Newest first (ids are UUIDv7, so id order is enrolment order). Staff only, audited per member returned.
   */
  async search(scope: StatusScope, query: string, page: PageRequest): Promise<Connection<Member>> {
    const text = query.trim();
    if (page.after) uuidOrFail(page.after, 'after', 'is not a cursor this API returned');
    const prefix = `${escapeLike(text)}%`;
    const matches =
      text.length === 0
        ? {}
        : { $or: [{ email: { $like: escapeLike(normaliseEmail(text)) + '%' } }, { externalId: { $like: prefix } }, { referralCode: normaliseReferralCode(text) }] };
    const rows = await scope.em.find(
      Member,
      { ...matches, status: { $ne: MemberStatus.ERASED }, ...(page.after ? { id: { $lt: page.after } } : {}) },
      { orderBy: { id: 'desc' }, limit: page.first + 1 },
    );
    const connection = toConnection(rows, page, (member) => member.id);
    await this.audit.record(
      scope,
      'member.search',
      connection.edges.map((edge) => edge.node.id),
      { query: text },
    );
    return connection;
  }

  /**
   * The member an operation acts on (holds, orders, adjustments): NOT_FOUND when unknown, and a member
   * token may only act on itself (FORBIDDEN otherwise, whether or not the other member exists).
   */
  async actionTargetOrFail(scope: StatusScope, memberId: string, field = 'memberId'): Promise<Member> {
    const member = await scope.memberStatus.find('id', uuidOrFail(memberId, field, 'is not a member id'));
    this.assertMaySee(scope, member, 'act');
    if (!member || member.status === MemberStatus.ERASED) throw new NotFoundError('member');
    return member;
  }

  /** Ownership: a member token sees only its own member (and learns nothing about others). */
  private assertMaySee(scope: StatusScope, member: Member | null, access: 'read' | 'act' = 'read'): void {
    const principal = scope.principal;
    if (principal?.role === 'member' && member?.externalId !== principal.subject) {
      throw new ForbiddenError(access === 'read' ? 'a member may only read itself' : 'a member may only act on its own points and orders');
    }
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
