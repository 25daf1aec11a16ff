import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, checkFields, IdempotencyConflictError, NotFoundError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { requestHash } from '../../idempotency';
import { uuidOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { Ledger, LockedAccount } from '../ledger/ledger';
import { LedgerEntryKind, TransferBucket } from '../ledger/points-transfer.entity';
import { MemberStatus } from '../members/member.entity';
import { newReferralCode } from '../referrals/referral-code';
import { RejectionReason } from '../referrals/referral.entity';
import { enqueueEvent } from '../webhooks/outbox';
import { MemberErasure } from './member-erasure.entity';
import { personalDataHash } from './personal-data-hash';

export interface ErasureResult {
  memberId: string;
  erasedAt: Date;
  forfeited: { currency: string; points: number }[];
}

/** What an erasure did, for the audit entry: counts and amounts only, never personal data. */
interface ErasureEffects {
  forfeited: { currency: string; points: bigint }[];
  holdsReleased: number;
  freezesReleased: number;
  vouchersVoided: number;
  referralsRejected: number;
}

/** The pseudonyms an erased member's unique columns get: derived from the member id, so they name nobody. */
export function erasedExternalId(memberId: string): string {
  return `erased:${memberId}`;
}
export function erasedEmail(memberId: string): string {
  return `erased-${memberId}@erased.invalid`;
}

/**
 * GDPR article 17: erases a member's personal data in one transaction, idempotently on the key. Money moves go
 * through the Ledger (lock, then check, then write), so the invariants hold and the accounts still balance: open
 * holds and dispute freezes are released, then every positive balance (posted and pending) is forfeited to the
 * ERASURE system account. Orders, refunds and ledger entries stay, pointing at the pseudonymised member.
 * Stateless: the scope comes with each call.
 */
export class MemberErasureService {
  constructor(private readonly audit: AuditService) {}

  async erase(scope: RequestScope, memberId: string, reason: string, idempotencyKey: string, now: Date = new Date()): Promise<ErasureResult> {
    const { id, why, key } = checkFields({
      id: () => uuidOrFail(memberId, 'memberId', 'is not a member id'),
      why: () => {
        const why = reason.trim();
        if (why.length === 0 || why.length > 500) throw new BadUserInputError('reason', 'must be 1 to 500 characters');
        return why;
      },
      key: () => {
        const key = idempotencyKey.trim();
        if (key.length === 0 || key.length > 200) throw new BadUserInputError('idempotencyKey', 'must be 1 to 200 characters');
        return key;
      },
    });
    const hash = requestHash(['erase-member', id, why]);

    return scope.em.fork().transactional(async (tx) => {
      const replay = await this.erasureByKey(tx, key);
      if (replay) {
        if (replay.requestHash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${key}`);
        return resultOf(replay);
      }
      const [member] = await tx.execute<{ id: string; status: MemberStatus; stripe_customer_id: string | null }[]>(
        'select id, status, stripe_customer_id from members where id = ? for update',
        [id],
      );
      if (!member) throw new NotFoundError('member');
      // Erased already under another key: nothing is left to erase; the first erasure is the answer.
      if (member.status === MemberStatus.ERASED) {
        const earlier = await tx.findOne(MemberErasure, { memberId: id });
        if (earlier) return resultOf(earlier);
      }

      const effects = await this.releaseAndForfeit(tx, id, now);
      effects.vouchersVoided = (
        await tx.execute<{ id: string }[]>(
          'update reward_redemptions set expires_at = ? where member_id = ? and consumed_at is null and expires_at > ? returning id',
          [now, id, now],
        )
      ).length;
      effects.referralsRejected = (
        await tx.execute<{ id: string }[]>(
          `update referrals set status = 'REJECTED', rejection_reason = ?, rejected_at = ? where status = 'PENDING' and (member_id = ? or referrer_id = ?) returning id`,
          [RejectionReason.MEMBER_ERASED, now, id, id],
        )
      ).length;
      await this.removePersonalData(tx, id, member.stripe_customer_id);

      const erasure = tx.create(MemberErasure, {
        memberId: id,
        idempotencyKey: key,
        requestHash: hash,
        reason: why,
        forfeited: effects.forfeited.map((amount) => ({ currency: amount.currency, points: amount.points.toString() })),
        stripeCustomerHash: member.stripe_customer_id ? personalDataHash(scope.config.privacy.hashSecret, 'STRIPE_CUSTOMER', member.stripe_customer_id) : null,
        erasedAt: now,
      });
      await tx.persistAndFlush(erasure);
      await this.audit.recordForAnyCaller(
        scope,
        'member.erase',
        [id],
        { ...effects, forfeited: effects.forfeited.map((amount) => ({ currency: amount.currency, points: amount.points.toString() })) },
        tx,
      );
      await enqueueEvent(tx, { type: 'member.erased', memberId: id, data: { memberId: id } }, now);
      return resultOf(erasure);
    });
  }

  private async erasureByKey(tx: EntityManager, key: string): Promise<MemberErasure | null> {
    return tx.findOne(MemberErasure, { idempotencyKey: key });
  }

  /** Per points account, locked in id order: release holds and freezes, then forfeit what is left through the ledger. */
  private async releaseAndForfeit(tx: EntityManager, memberId: string, now: Date): Promise<ErasureEffects> {
    const effects: ErasureEffects = { forfeited: [], holdsReleased: 0, freezesReleased: 0, vouchersVoided: 0, referralsRejected: 0 };
    const ledger = new Ledger(tx);
    const currencies = await tx.execute<{ currency: string }[]>('select currency from points_accounts where member_id = ? order by id', [memberId]);
    for (const { currency } of currencies) {
      const account = await ledger.lockMemberAccount(memberId, currency);
      const holds = await tx.execute<{ points: string }[]>(
        `update points_holds set status = 'RELEASED', resolved_at = ? where account_id = ? and status = 'HELD' returning points`,
        [now, account.id],
      );
      const freezes = await tx.execute<{ points: string }[]>(
        `update points_freezes set status = 'RELEASED', resolved_at = ? where account_id = ? and status = 'FROZEN' returning points`,
        [now, account.id],
      );
      effects.holdsReleased += holds.length;
      effects.freezesReleased += freezes.length;
      const released = [...holds, ...freezes].reduce((sum, row) => sum + BigInt(row.points), 0n);
      if (released > 0n) await ledger.changeHeld(account, -released);
      const points = await this.forfeit(tx, ledger, account, memberId);
      if (points > 0n) effects.forfeited.push({ currency, points });
    }
    return effects;
  }

  /** Debits the account's positive posted and pending balances to ERASURE and empties its lots. A clawback debt stays as it is. */
  private async forfeit(tx: EntityManager, ledger: Ledger, account: LockedAccount, memberId: string): Promise<bigint> {
    const reference = `erasure:${memberId}`;
    let total = 0n;
    if (account.pending > 0n) {
      const pending = account.pending;
      await tx.execute('update points_lots set remaining = 0 where account_id = ? and pending and remaining > 0', [account.id]);
      await ledger.transfer({ account, direction: 'DEBIT', bucket: TransferBucket.PENDING, kind: LedgerEntryKind.ADJUSTMENT, amount: pending, counterparty: 'ERASURE', reference, reason: 'member erased' });
      total += pending;
    }
    if (account.posted > 0n) {
      const posted = account.posted;
      await ledger.drawFromLots(account, posted);
      await ledger.transfer({ account, direction: 'DEBIT', bucket: TransferBucket.POSTED, kind: LedgerEntryKind.ADJUSTMENT, amount: posted, counterparty: 'ERASURE', reference, reason: 'member erased' });
      total += posted;
    }
    return total;
  }

  /**
   * Pseudonymises the member row (unique columns get values derived from the id; the rest is cleared) and deletes
   * device and IP sightings and card fingerprints. Search terms that staff typed about the member are cleared from
   * the audit trail too (a search by email records the email), and so are outbound event payloads and stored
   * Stripe payloads about the member.
   */
  private async removePersonalData(tx: EntityManager, memberId: string, stripeCustomerId: string | null): Promise<void> {
    await tx.execute(
      `update members set external_id = ?, email = ?, birthday = null, locale = 'und', stripe_customer_id = null,
         referral_code = ?, enrollment_hash = '', status = ? where id = ?`,
      [erasedExternalId(memberId), erasedEmail(memberId), newReferralCode(), MemberStatus.ERASED, memberId],
    );
    await tx.execute('delete from member_sightings where member_id = ?', [memberId]);
    await tx.execute('delete from member_card_fingerprints where member_id = ?', [memberId]);
    await tx.execute(`update audit_log set details = null where member_id = ? and action = 'member.search'`, [memberId]);
    // Outbound events not sent yet (and those kept) name the member by id only from now on.
    await tx.execute(`update webhook_events set data = jsonb_build_object('memberId', member_id) where member_id = ?`, [memberId]);
    // Stripe payloads kept for a later retry (no member found yet) that name this member or its customer.
    await tx.execute(
      `update stripe_events set payload = null, state = 'PROCESSED', processed_at = now()
       where state = 'NO_MEMBER' and (payload->'metadata'->>'member_id' = ? or payload->>'customer' = ?)`,
      [memberId, stripeCustomerId ?? ''],
    );
  }
}

function resultOf(erasure: MemberErasure): ErasureResult {
  return {
    memberId: erasure.memberId,
    erasedAt: erasure.erasedAt,
    forfeited: erasure.forfeited.map((amount) => ({ currency: amount.currency, points: Number(amount.points) })),
  };
}
