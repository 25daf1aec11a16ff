import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, IdempotencyConflictError, InputChecks, NotFoundError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { requestHash } from '../../idempotency';
import { minorUnitDigits } from '../../money/currency';
import { formatDecimal, parseDecimal } from '../../money/decimal';
import { toBaseCurrency } from '../../money/fx';
import { Money, parseMoney } from '../../money/money';
import { addDays, addMonths } from '../../time';
import { externalIdOrFail, pastTimeOrFail, uuidOrFail } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { Ledger } from '../ledger/ledger';
import { DEFAULT_POINTS_CURRENCY, toSettings } from '../ledger/points-currency.service';
import { LedgerEntryKind, TransferBucket } from '../ledger/points-transfer.entity';
import { isUniqueViolation } from '../../db/errors';
import { applyTierDecisions, earnMultiplierOf, LadderRow, ladderTierOf, tierAfterOrder, windowStart } from '../tiers/tier.service';
import type { TierStanding } from '../tiers/tier-policy';
import type { Config } from '../../config/config';
import { orderWithinCapOrFail } from './order-cap';
import { countLedgerReplay } from '../../observability/domain-metrics';
import { lockAccountsOfPendingReferral, qualifyReferralOfReferee } from '../referrals/referral-qualification';
import { inTransaction, runNamed } from '../../db/sql';
import { isStaleOrderRead, LOCK_MEMBER, ORDER_CONTEXT, ORDER_READ, orderOfRow, RECORD_ORDER, RECORD_ORDER_CHECKED } from './order.sql';
import { refundInputOrFail } from './refund.validation';
import { ledgerCommand } from '../ledger/ledger-errors';
import { onlyMemberOf } from '../../auth/principal';
import { noRateInForce } from '../fx/fx.sql';
import { AppliedRule, campaignRuleOf, CampaignRuleRow, evaluateEarning } from './earning';
import { v7 as uuidv7 } from 'uuid';
import { Order, OrderStatus } from './order.entity';

export interface RecordOrderInput {
  memberId: string;
  externalId: string;
  amount: { amount: string; currency: string };
  placedAt?: Date | null;
}

/** An order to record, validated: the amount in minor units, the hash of the request that asks for it. */
export interface NewOrder {
  externalId: string;
  amount: Money;
  placedAt: Date;
  requestHash: string;
  /**
   * Qualify the member's referral in this transaction when the order vests at once: recordOrder always; a Stripe
   * payment when its card is already known (the fraud rules need it; otherwise the charge or the job qualifies it).
   */
  qualifyReferralAtOnce?: boolean;
}

export interface NewRefund {
  orderExternalId: string;
  refundId: string;
  amount: Money;
  requestHash: string;
  /**
   * Refund at most what is left on the order instead of failing (Stripe: a lost dispute reverses the rest of the
   * payment, and a refund delivered after that finds nothing left).
   */
  capAtWhatIsLeft?: boolean;
}

export interface RefundOrderInput {
  orderExternalId: string;
  refundId: string;
  amount: { amount: string; currency: string };
}

/** Orders and refunds, and the points they earn and take back (through the ledger). */
export class OrderService {
  constructor(private readonly audit: AuditService) {}

  /**
   * Records a paid order and earns points for it, idempotently on externalId. The amount is converted
   * to the base currency at the rate in force at placedAt; points stay pending for the return window
   * (an order placed longer ago than that vests at once).
   */
  async record(scope: RequestScope, input: RecordOrderInput): Promise<Order> {
    const memberId = uuidOrFail(input.memberId, 'memberId', 'is not a member id');
    const checks = new InputChecks();
    const externalId = checks.check(() => externalIdOrFail(input.externalId, 'externalId'))!;
    const amount = checks.check(() => parseMoney(input.amount.amount, input.amount.currency, 'amount'))!;
    const now = new Date();
    const placedAt = input.placedAt ? checks.check(() => pastTimeOrFail(input.placedAt!, 'placedAt', now))! : now;
    checks.throwIfAny();
    const hash = requestHash([memberId, externalId, amount.minor, amount.currency, input.placedAt ?? null]);

    const member = { id: memberId, onlyExternalId: onlyMemberOf(scope.principal) };
    const order = { externalId, amount, placedAt, requestHash: hash, qualifyReferralAtOnce: true };
    const recorded = await ledgerCommand(() => this.recordWithCheckedWrite(scope, member, order, now));
    if (!recorded) countLedgerReplay('record_order');
    return recorded ?? (await this.replayOf(scope, externalId, hash))!;
  }

  /**
   * recordOrder's way: two statements and no transaction. The earning read runs without a lock (ORDER_READ), the
   * earning is worked out here, and RECORD_ORDER_CHECKED writes it under the member's tier row lock only if the
   * member's standing and orders are still what the read saw; when another order or a tier change came between, it
   * reads again. An order that also changes a tier, qualifies a referral at once or is audited needs more writes
   * than the order's own: it is recorded in a transaction (recordInTransaction), as is a read found stale too often.
   */
  private async recordWithCheckedWrite(scope: RequestScope, member: { id: string; onlyExternalId?: string | null }, order: NewOrder, now: Date): Promise<Order | null> {
    const { baseCurrency } = scope.config;
    for (let read = 0; read < CHECKED_WRITE_READS; read++) {
      const window = qualifyingWindow(now, scope.config);
      const [context] = await runNamed<OrderReadRow>(scope.em, ORDER_READ, [member.id, window.from, window.to, order.placedAt, order.amount.currency, baseCurrency, member.onlyExternalId ?? null]);
      const plan = planOrder(scope.config, context.country, standingOfRow(context), context, order, window, now);
      if (plan.decision || (!plan.pending && order.qualifyReferralAtOnce) || this.audit.audits(scope)) break;
      try {
        const [row] = await runNamed<Record<string, unknown>>(scope.em, RECORD_ORDER_CHECKED, [member.onlyExternalId ?? null, context.seen, ...recordOrderValues(member.id, order, plan, scope.config, now)]);
        return row ? orderOfRow(row) : null; // no row: recorded before (a replay) or by a concurrent request
      } catch (error) {
        if (!isStaleOrderRead(error)) throw error;
      }
    }
    return inTransaction(scope.em, (tx) => this.recordInTransaction(scope, tx, member, order, now));
  }

  /**
   * The one way an order is recorded and earns points inside a transaction (recordOrder when the checked write is not
   * enough, and Stripe's payment_intent.succeeded), in the caller's transaction. Returns null when an order with this
   * externalId exists already (nothing changes).
   */
  async recordInTransaction(scope: RequestScope, tx: EntityManager, member: { id: string; onlyExternalId?: string | null }, order: NewOrder, now: Date = new Date()): Promise<Order | null> {
    const { baseCurrency } = scope.config;
    // Three round trips: the member checked and its tier row locked, one read of what the earning needs, one write
    // (orders/order.sql.ts). Its refusals are the ledger's (ledgerCommand turns them into domain errors).
    const [locked] = await runNamed<{ country: string; tier_code: string; retain_until: Date | string | null }>(tx, LOCK_MEMBER, [member.id, member.onlyExternalId ?? null, now]);
    const standing = standingOfRow(locked);
    const window = qualifyingWindow(now, scope.config);
    const [context] = await runNamed<OrderContextRow>(tx, ORDER_CONTEXT, [member.id, window.from, window.to, order.placedAt, order.amount.currency, baseCurrency]);
    const plan = planOrder(scope.config, locked.country, standing, context, order, window, now);
    // Vested at once (placed past the return window): its referral qualifies in this transaction, under the two
    // members' account locks taken in member id order before the order's own earn locks the member's account.
    const qualifyReferral = !plan.pending && order.qualifyReferralAtOnce && (await lockAccountsOfPendingReferral(tx, member.id));
    const [row] = await runNamed<Record<string, unknown>>(tx, RECORD_ORDER, recordOrderValues(member.id, order, plan, scope.config, now));
    if (!row) return null; // recorded before (a replay) or by a concurrent request
    if (plan.decision) await applyTierDecisions(tx, [{ memberId: member.id, fromTier: standing.tierCode, decision: plan.decision, spendMinor: plan.spend }], now);
    if (qualifyReferral) await qualifyReferralOfReferee(tx, scope.config, member.id, now);
    await this.audit.record(scope, 'order.record', [member.id], { externalId: order.externalId }, tx);
    return orderOfRow(row);
  }

  /**
   * Refunds part or all of an order, idempotently on refundId, and takes back points in proportion to the
   * refunded share: pending points first, then posted ones (which may leave the balance negative when the
   * member already spent them). A fully refunded order leaves no net points.
   */
  async refund(scope: RequestScope, input: RefundOrderInput): Promise<Order> {
    const { orderExternalId, refundId, amount } = refundInputOrFail(input);
    const hash = requestHash([orderExternalId, refundId, amount.minor, amount.currency]);
    try {
      const orderId = await scope.em.transactional((tx) => this.refundInTransaction(scope, tx, { orderExternalId, refundId, amount, requestHash: hash }));
      return scope.em.fork().findOneOrFail(Order, { id: orderId });
    } catch (error) {
      // The same refundId used on another order.
      if (isUniqueViolation(error, 'order_refunds_refund_id_unique')) throw new IdempotencyConflictError(`refundId ${refundId}`);
      throw error;
    }
  }

  /**
   * The one way a refund takes back points (refundOrder and Stripe's charge.refunded), inside the caller's
   * transaction; locks the order row first. Returns the order's id.
   */
  async refundInTransaction(scope: RequestScope, tx: EntityManager, refund: NewRefund): Promise<string> {
    const [order] = await tx.execute<{ id: string; member_id: string; amount_minor: string; currency: string; refunded_minor: string }[]>(
      'select id, member_id, amount_minor, currency, refunded_minor from orders where external_id = ? for update',
      [refund.orderExternalId],
    );
    // Storefronts and admins only (the resolver's roles), so there is no ownership to check here.
    if (!order) throw new NotFoundError('order');
    const { orderExternalId, refundId, requestHash: hash } = refund;
    const [previous] = await tx.execute<{ request_hash: string; failed_at: Date | null }[]>('select request_hash, failed_at from order_refunds where refund_id = ?', [refundId]);
    // A refund that failed (and was given back) stays failed, whatever an older delivery says.
    if (previous?.failed_at) return order.id;
    if (previous) {
      if (previous.request_hash !== hash) throw new IdempotencyConflictError(`refundId ${refundId}`);
      countLedgerReplay('refund');
      return order.id;
    }
    if (refund.amount.currency !== order.currency) throw new BadUserInputError('amount.currency', `the order was paid in ${order.currency}`);
    const orderAmount = BigInt(order.amount_minor);
    const left = orderAmount - BigInt(order.refunded_minor);
    let amount = refund.amount;
    if (amount.minor > left) {
      if (!refund.capAtWhatIsLeft) throw new BadUserInputError('amount.amount', 'exceeds what is left to refund on the order');
      if (left === 0n) return order.id;
      amount = { ...amount, minor: left };
    }
    const refunded = BigInt(order.refunded_minor) + amount.minor;

    await tx.execute('insert into order_refunds (order_id, member_id, refund_id, amount_minor, request_hash, created_at) values (?, ?, ?, ?, ?, now())', [
      order.id,
      order.member_id,
      refundId,
      amount.minor.toString(),
      hash,
    ]);
    await this.takeBackPoints(tx, order.id, order.member_id, orderExternalId, refundId, refunded, orderAmount);
    const status = refunded === orderAmount ? OrderStatus.REFUNDED : OrderStatus.PARTIALLY_REFUNDED;
    await tx.execute('update orders set refunded_minor = ?, status = ? where id = ?', [refunded.toString(), status, order.id]);
    await this.audit.record(scope, 'order.refund', [order.member_id], { orderExternalId, refundId }, tx);
    return order.id;
  }

  /**
   * Undoes a refund that failed after it was applied (Stripe's charge.refund.updated with status failed or
   * canceled), inside the caller's transaction: the order's refunded amount goes back down and the points the
   * refund took are given back, to the bucket they came from (pending while the order's lot is pending, posted
   * otherwise, repaying any clawback debt first). Idempotent: the refund row is marked failed. A refund not seen
   * before is recorded as failed, so that an older delivery listing it never applies it.
   */
  async restoreFailedRefund(scope: RequestScope, tx: EntityManager, orderExternalId: string, refundId: string, amount: Money): Promise<void> {
    const [order] = await tx.execute<{ id: string; member_id: string; amount_minor: string; refunded_minor: string }[]>(
      'select id, member_id, amount_minor, refunded_minor from orders where external_id = ? for update',
      [orderExternalId],
    );
    if (!order) return;
    const [refund] = await tx.execute<{ amount_minor: string; failed_at: Date | null }[]>('select amount_minor, failed_at from order_refunds where refund_id = ? for update', [refundId]);
    if (refund?.failed_at) return;
    if (!refund) {
      await tx.execute('insert into order_refunds (order_id, member_id, refund_id, amount_minor, request_hash, created_at, failed_at) values (?, ?, ?, ?, ?, now(), now())', [
        order.id,
        order.member_id,
        refundId,
        '0',
        requestHash(['failed-refund', refundId, amount.minor, amount.currency]),
      ]);
      return;
    }
    await tx.execute('update order_refunds set failed_at = now() where refund_id = ?', [refundId]);
    const orderAmount = BigInt(order.amount_minor);
    const refunded = BigInt(order.refunded_minor) - BigInt(refund.amount_minor);
    const ledger = new Ledger(tx);
    const lots = await tx.execute<{ id: string; currency: string; amount: string; reversed: string; pending: boolean; expires_at: Date }[]>(
      'select id, currency, amount, reversed, pending, expires_at from points_lots where order_id = ? order by currency',
      [order.id],
    );
    for (const lot of lots) {
      const target = (BigInt(lot.amount) * refunded) / orderAmount;
      const giveBack = BigInt(lot.reversed) - target;
      if (giveBack <= 0n) continue;
      const account = await ledger.lockMemberAccount(order.member_id, lot.currency);
      const bucket = lot.pending ? TransferBucket.PENDING : TransferBucket.POSTED;
      const reference = `refund-failed:${refundId}`;
      // Vested points come back in a lot of their own (not the order's: a later refund of the order must not take
      // them back a second time), written with the transfer.
      await ledger.transfer(
        { account, direction: 'CREDIT', bucket, kind: LedgerEntryKind.REVERSAL, amount: giveBack, counterparty: 'REVERSAL', orderId: order.id, reference, reason: `failed refund of order ${orderExternalId}` },
        lot.pending ? undefined : { expiresAt: new Date(lot.expires_at), ofOrder: false },
      );
      if (lot.pending) {
        await tx.execute('update points_lots set remaining = remaining + ?, reversed = ? where id = ?', [giveBack.toString(), target.toString(), lot.id]);
      } else {
        await tx.execute('update points_lots set reversed = ? where id = ?', [target.toString(), lot.id]);
      }
    }
    const status = refunded === 0n ? OrderStatus.PAID : OrderStatus.PARTIALLY_REFUNDED;
    await tx.execute('update orders set refunded_minor = ?, status = ? where id = ?', [refunded.toString(), status, order.id]);
    await this.audit.record(scope, 'order.refund_failed', [order.member_id], { orderExternalId, refundId }, tx);
  }

  /** The member's orders, most recently placed first. */
  async ordersOf(scope: RequestScope, memberId: string, page: PageRequest): Promise<Connection<Order>> {
    let after: { placedAt: Date; id: string } | undefined;
    if (page.after) {
      const [time, id] = page.after.split('|');
      after = { placedAt: new Date(time), id };
      if (Number.isNaN(after.placedAt.getTime()) || !id) throw new BadUserInputError('after', 'is not a cursor this API returned');
    }
    const rows = await scope.em.find(
      Order,
      after ? { memberId, $or: [{ placedAt: { $lt: after.placedAt } }, { placedAt: after.placedAt, id: { $lt: after.id } }] } : { memberId },
      { orderBy: [{ placedAt: 'desc' }, { id: 'desc' }], limit: page.first + 1 },
    );
    return toConnection(rows, page, (order) => `${order.placedAt.toISOString()}|${order.id}`);
  }

  private async replayOf(scope: RequestScope, externalId: string, hash: string): Promise<Order | null> {
    const existing = await scope.em.fork().findOne(Order, { externalId });
    if (!existing) return null;
    if (existing.requestHash !== hash) throw new IdempotencyConflictError(`externalId ${externalId}`);
    return existing;
  }

  /** Claws back, per points currency, what the refunded share of the order earned and was not yet taken back. */
  private async takeBackPoints(tx: EntityManager, orderId: string, memberId: string, orderExternalId: string, refundId: string, refunded: bigint, orderAmount: bigint) {
    const ledger = new Ledger(tx);
    const lots = await tx.execute<{ id: string; currency: string; amount: string; remaining: string; reversed: string; pending: boolean }[]>(
      'select id, currency, amount, remaining, reversed, pending from points_lots where order_id = ? order by currency',
      [orderId],
    );
    for (const lot of lots) {
      const target = (BigInt(lot.amount) * refunded) / orderAmount; // floor; equals the whole lot at a full refund
      const clawback = target - BigInt(lot.reversed);
      if (clawback <= 0n) continue;
      const account = await ledger.lockMemberAccount(memberId, lot.currency);
      const reference = `refund:${refundId}`;
      const reason = `refund of order ${orderExternalId}`;
      // Pending lots are only ever reduced by their own order's refunds, so `remaining` covers the clawback.
      const fromPending = lot.pending ? (clawback < BigInt(lot.remaining) ? clawback : BigInt(lot.remaining)) : 0n;
      if (fromPending > 0n) {
        await ledger.transfer({ account, direction: 'DEBIT', bucket: TransferBucket.PENDING, kind: LedgerEntryKind.REVERSAL, amount: fromPending, counterparty: 'REVERSAL', orderId, reference, reason });
        await tx.execute('update points_lots set remaining = remaining - ? where id = ?', [fromPending.toString(), lot.id]);
      }
      const fromPosted = clawback - fromPending;
      if (fromPosted > 0n) {
        await ledger.transfer({ account, direction: 'DEBIT', bucket: TransferBucket.POSTED, kind: LedgerEntryKind.REVERSAL, amount: fromPosted, counterparty: 'REVERSAL', orderId, reference, reason });
        // The order's own lot first, then the soonest-expiring others; what no lot covers is debt (a negative balance).
        const drawn = await ledger.drawFromLots(account, fromPosted, { lotId: lot.id });
        await ledger.drawFromLots(account, fromPosted - drawn);
      }
      await tx.execute('update points_lots set reversed = ? where id = ?', [target.toString(), lot.id]);
      // A dispute's freeze never holds more than what the order still earns.
      if (!lot.pending) await ledger.capOrderFreezes(account, orderId, BigInt(lot.amount) - target);
    }
  }
}

/** How often recordOrder reads again when its checked write finds the read stale, before it takes a transaction. */
const CHECKED_WRITE_READS = 3;

/**
 * The qualifying window (from, to] an order's spend is read in. It ends when the read runs (under the lock, or the
 * checked write's read), not when the request began: an order of the same member that committed in between was
 * placed after this request's `now`, and must count.
 */
function qualifyingWindow(now: Date, config: Config): { from: Date; to: Date } {
  const to = new Date(Math.max(now.getTime(), Date.now()));
  return { from: windowStart(to, config), to };
}

/** A member's tier standing from its row (order_lock_member's, or ORDER_READ's). */
function standingOfRow(row: { tier_code: string; retain_until: Date | string | null }): TierStanding {
  return { tierCode: row.tier_code, retainUntil: row.retain_until === null ? null : new Date(row.retain_until) };
}

/** What an order earns and changes, worked out from the earning read; written by RECORD_ORDER (or _CHECKED). */
interface OrderPlan {
  rate: ReturnType<typeof parseDecimal>;
  base: Money;
  /** The member's qualifying spend with this order. */
  spend: bigint;
  /** The tier decision this order makes (an upgrade), if any. */
  decision: ReturnType<typeof tierAfterOrder>['decision'];
  /** Points per points currency, with the rules applied (the order's details). */
  applied: Record<string, { points: string; rules: AppliedRule[] }>;
  /** What order_record posts: one EARN per points currency. */
  earns: { currency: string; points: string; expiresAt: string; details: { rules: AppliedRule[] } }[];
  pending: boolean;
  vestsAt: Date;
}

/**
 * What an order earns: its amount in the base currency at the rate in force, within the order cap; the tier it earns
 * at (an upgrade at once when this order crosses a threshold); each earning points currency's points by the rules.
 * The qualifying window (from, to] is the one the read counted the spend in.
 */
function planOrder(config: Config, market: string, standing: TierStanding, context: OrderContextRow, order: NewOrder, window: { from: Date; to: Date }, now: Date): OrderPlan {
  const { amount, placedAt } = order;
  const { baseCurrency, returnWindowDays } = config;
  if (context.fx_rate === null) throw noRateInForce('amount.currency', amount.currency, placedAt);
  const rate = parseDecimal(context.fx_rate, 'rate');
  const base = toBaseCurrency(amount, baseCurrency, rate);
  orderWithinCapOrFail(amount, base, config.maxOrderMinor, rate);

  // This order counts towards the qualifying spend when placed inside the window (it is not in the read).
  const counts = placedAt > window.from && placedAt <= window.to;
  const spend = BigInt(context.spend) + (counts ? base.minor : 0n);
  // Upgrades at once when this order crosses a threshold: the order already earns at the new multiplier.
  const { tier, decision } = tierAfterOrder(context.ladder.map(ladderTierOf), standing, spend, now, config);
  const rules = context.rules.map(campaignRuleOf);
  const vestsAt = addDays(placedAt, returnWindowDays);
  const applied: OrderPlan['applied'] = {};
  const earns: OrderPlan['earns'] = [];
  for (const currency of context.currencies.map(toSettings)) {
    const earning = evaluateEarning(
      {
        baseAmountMinor: base.minor,
        baseDigits: minorUnitDigits(baseCurrency)!,
        market,
        placedAt,
        isFirstOrder: !context.earlier,
        earnRate: currency.earnRate,
        tierMultiplier: earnMultiplierOf(tier),
      },
      rules.filter((rule) => rule.currency === currency.code),
    );
    if (earning.points <= 0n) continue;
    applied[currency.code] = { points: earning.points.toString(), rules: earning.applied };
    earns.push({ currency: currency.code, points: earning.points.toString(), expiresAt: addMonths(placedAt, currency.expiryMonths).toISOString(), details: { rules: earning.applied } });
  }
  return { rate, base, spend, decision, applied, earns, pending: vestsAt > now, vestsAt };
}

/** RECORD_ORDER's values for a planned order. */
function recordOrderValues(memberId: string, order: NewOrder, plan: OrderPlan, config: Config, now: Date): unknown[] {
  return [
    uuidv7(),
    memberId,
    order.externalId,
    order.amount.minor.toString(),
    order.amount.currency,
    plan.base.minor.toString(),
    config.baseCurrency,
    formatDecimal(plan.rate),
    order.placedAt,
    order.requestHash,
    plan.applied[DEFAULT_POINTS_CURRENCY]?.points ?? '0',
    JSON.stringify({ earned: plan.applied }),
    JSON.stringify(plan.earns),
    plan.pending ? plan.vestsAt : null,
    now,
  ];
}

/** ORDER_READ's row: the member's market and standing, the checked write's token, and the earning read. */
interface OrderReadRow extends OrderContextRow {
  country: string;
  tier_code: string;
  retain_until: Date | string | null;
  seen: string;
}

interface OrderContextRow {
  ladder: LadderRow[];
  spend: string;
  earlier: boolean;
  rules: CampaignRuleRow[];
  currencies: { code: string; name: string; valueInBase: string; earnRate: string; expiryMonths: number; earnsOnOrders: boolean }[];
  fx_rate: string | null;
}
