import { enqueueEvent } from '../webhooks/outbox';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config';
import { addDays, addMonths } from '../../time';
import { netBaseAmountSql } from '../orders/order.sql';
import { Ledger } from '../ledger/ledger';
import { DEFAULT_POINTS_CURRENCY, pointsCurrencyOrFail } from '../ledger/points-currency.service';
import { LedgerEntryKind, TransferBucket } from '../ledger/points-transfer.entity';
import { canonicalEmail } from './referral-code';
import { ReferralStatus } from './referral.entity';
import { rejectionReason } from './referral-rules';
import { referralFacts } from './referral.service';

/**
 * A referee's order that qualifies its referral at `now`: placed at least the return window ago (vested),
 * worth at least the minimum in the base currency net of refunds. The earliest such order.
 */
export const QUALIFYING_ORDER = `
  select o.id from orders o
  where o.member_id = r.member_id and o.placed_at <= ?
    and ${netBaseAmountSql('o')} >= ?
  order by o.placed_at, o.id limit 1`;

/**
 * Qualifies the referee's PENDING referral in the caller's transaction when the member now has a vested
 * qualifying order: an order recorded already past the return window (imported history, a late sync) vests
 * at once, so its referral need not wait for the referral job. Call it BEFORE locking the member's points
 * account: it takes the two accounts' locks in member id order, as the job does.
 */
export async function qualifyReferralOfReferee(tx: EntityManager, config: Config, refereeId: string, now: Date): Promise<ReferralStatus | null> {
  const [pending] = await tx.execute<{ id: string; member_id: string; referrer_id: string }[]>(
    "select id, member_id, referrer_id from referrals where member_id = ? and status = 'PENDING'",
    [refereeId],
  );
  if (!pending) return null;
  return qualifyReferral(tx, config, pending, addDays(now, -config.returnWindowDays), now);
}

/**
 * When the referee has a PENDING referral: locks the referrer's and the referee's points accounts in member id order
 * (as qualifyReferral will) and returns true. Recording an order that vests at once calls it before the order's earn
 * locks the referee's account, then qualifyReferralOfReferee once the order is in.
 */
export async function lockAccountsOfPendingReferral(tx: EntityManager, refereeId: string): Promise<boolean> {
  const [pending] = await tx.execute<{ referrer_id: string }[]>("select referrer_id from referrals where member_id = ? and status = 'PENDING'", [refereeId]);
  if (!pending) return false;
  const ledger = new Ledger(tx);
  for (const memberId of [pending.referrer_id, refereeId].sort()) await ledger.lockMemberAccount(memberId, DEFAULT_POINTS_CURRENCY);
  return true;
}

/**
 * Qualifies one PENDING referral whose referee has a qualifying order placed by `vestedBy`, under the two
 * member accounts' locks (in member id order) and the referral's row lock; null when it is no longer PENDING
 * or has no such order. A fraud rule (re-checked now, with the monthly cap) may reject it instead.
 */
export async function qualifyReferral(
  tx: EntityManager,
  config: Config,
  candidate: { id: string; member_id: string; referrer_id: string },
  vestedBy: Date,
  now: Date,
): Promise<ReferralStatus | null> {
  const ledger = new Ledger(tx);
  // The referrer's account lock also serialises the monthly cap count across this referrer's referrals.
  const [first, second] = [candidate.referrer_id, candidate.member_id].sort();
  const accounts = new Map([
    [first, await ledger.lockMemberAccount(first, DEFAULT_POINTS_CURRENCY)],
    [second, await ledger.lockMemberAccount(second, DEFAULT_POINTS_CURRENCY)],
  ]);
  const [referral] = await tx.execute<{ id: string; code: string; order_id: string | null }[]>(
    `select r.id, r.code, (${QUALIFYING_ORDER}) as order_id from referrals r where r.id = ? and r.status = 'PENDING' for update of r`,
    [vestedBy, config.referral.minOrderMinor.toString(), candidate.id],
  );
  if (!referral || !referral.order_id) return null; // done by another runner, or the order was refunded since

  const facts = await referralFacts(tx, candidate.referrer_id, candidate.member_id, config.referral.signalWindowDays);
  const [{ count }] = await tx.execute<{ count: string }[]>(
    `select count(*) as count from referrals where referrer_id = ? and status = 'QUALIFIED' and qualified_at >= date_trunc('month', ?::timestamptz at time zone 'UTC') at time zone 'UTC'`,
    [candidate.referrer_id, now],
  );
  const reason = rejectionReason({ ...facts, qualifiedThisMonth: Number(count), monthlyCap: config.referral.monthlyCap }, canonicalEmail);
  if (reason) {
    await tx.execute("update referrals set status = 'REJECTED', rejection_reason = ?, rejected_at = ? where id = ?", [reason, now, referral.id]);
    return ReferralStatus.REJECTED;
  }
  await tx.execute("update referrals set status = 'QUALIFIED', qualified_at = ?, qualifying_order_id = ? where id = ?", [now, referral.order_id, referral.id]);
  await enqueueEvent(tx, { type: 'referral.qualified', memberId: candidate.referrer_id, data: { referralId: referral.id, code: referral.code, referrerId: candidate.referrer_id, refereeId: candidate.member_id } }, now);

  const currency = await pointsCurrencyOrFail(tx, DEFAULT_POINTS_CURRENCY);
  const expiresAt = addMonths(now, currency.expiryMonths);
  const bonuses: [string, 'referrer' | 'referee', number][] = [
    [candidate.referrer_id, 'referrer', config.referral.referrerBonus],
    [candidate.member_id, 'referee', config.referral.refereeBonus],
  ];
  for (const [memberId, side, points] of bonuses) {
    if (points <= 0) continue;
    const account = accounts.get(memberId)!;
    const amount = BigInt(points);
    await ledger.transfer(
      {
      account,
      direction: 'CREDIT',
      bucket: TransferBucket.POSTED,
      kind: LedgerEntryKind.REFERRAL_BONUS,
      amount,
      counterparty: 'REFERRAL',
      idempotencyKey: `referral:${referral.id}:${side}`,
      reference: `referral:${referral.id}`,
      reason: `referral ${referral.code} qualified (${side})`,
      details: { referralId: referral.id, side },
      expiresAt,
      },
      { expiresAt },
    );
  }
  return ReferralStatus.QUALIFIED;
}
