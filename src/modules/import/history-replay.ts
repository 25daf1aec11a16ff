import type { Decimal } from '../../money/decimal';
import { addDays, addMonths } from '../../time';
import { DEFAULT_POINTS_CURRENCY } from '../ledger/points-currency.service';
import { AppliedRule, CampaignRule, evaluateEarning } from '../orders/earning';
import { OrderStatus } from '../orders/order.entity';
import type { LadderTier } from '../tiers/tier.service';
import { earnMultiplierOf, tierAfterOrder } from '../tiers/tier.service';
import type { StagedOrder } from './history-staging';

/*
 * The history import's replay, in process and pure: one member's new orders recorded one by one at the import's
 * clock ("now"), each by recordOrder and, when it has a refunded amount, at once by refundOrder (refund id
 * history:<external id>), with the same functions those use (evaluateEarning, tierAfterOrder, the lot rules of
 * ledger_post and takeBackPoints). Input: the member's stored state, read under its tier row's lock; output: the
 * rows to write (history-apply.ts writes them set-based). settleAccount then works out, from the account's posted
 * balance read under its lock, what each earn's lot holds and the balance changes.
 * test/unit/history-replay.test.ts works cases by hand; test/api/history-import-equivalence.api.test.ts holds the
 * whole path to recordOrder and refundOrder.
 */

/** The programme as recordOrder reads it (order.sql.ts ORDER_CONTEXT), plus the import's clock. */
export interface ReplayProgramme {
  now: Date;
  /** Minor-unit digits of the base currency. */
  baseDigits: number;
  returnWindowDays: number;
  /** Start (exclusive) of the qualifying window ending at now (inclusive). */
  windowStart: Date;
  tierWindowMonths: number;
  tierRetentionMonths: number;
  baseCurrency: string;
  /** Lowest rank first. */
  ladder: LadderTier[];
  /** Active campaign rules, in the order recordOrder reads them (by id). */
  rules: CampaignRule[];
  /** Earning points currencies, by code (the order recordOrder posts them in). */
  currencies: { code: string; earnRate: Decimal; expiryMonths: number }[];
}

/** What is stored for the member when its history is replayed (read with its tier row locked). */
export interface MemberStanding {
  memberId: string;
  /** The member's country: campaign markets match on it. */
  country: string;
  /** Its member_tiers row (the lowest tier's code when the import created it). */
  tierCode: string;
  retainUntil: Date | null;
  /** Qualifying spend of its stored orders: placed in (windowStart, now], net of refunds. */
  spendMinor: bigint;
  /** Epoch ms of its earliest stored order, or null without any. */
  firstPlacedAtMs: number | null;
}

/** A staged order, validated and converted (its member is the one being replayed), with recordOrder's request hash. */
export type HistoryOrder = Omit<StagedOrder, 'memberExternalId'> & {
  /** The order's id, given when its chunk is read (in the order the chunk writes its rows). */
  id: string;
  /** recordOrder's request hash. */
  requestHash: string;
};

export interface ReplayedOrder {
  order: HistoryOrder;
  status: OrderStatus;
  /** Points earned in PTS (orders.points_earned). */
  pointsEarned: bigint;
  /** orders.details: { earned: { <currency>: { points, rules } } }. */
  details: { earned: Record<string, { points: string; rules: AppliedRule[] }> };
}

/** One EARN (with its lot) and, when the order's refund takes points back, its REVERSAL. */
export interface ReplayedEarn {
  order: HistoryOrder;
  currency: string;
  points: bigint;
  /** Pending until vestsAt (placed within the return window of now), posted otherwise. */
  pending: boolean;
  vestsAt: Date | null;
  /** The lot's (and the transfer's) expiry: expiry months after placed_at. */
  expiresAt: Date;
  rules: AppliedRule[];
  /** floor(points x refunded / amount): what the refund takes back (the lot's `reversed`). */
  clawback: bigint;
}

export interface ReplayedTierChange {
  order: HistoryOrder;
  fromTier: string;
  toTier: string;
  /** The qualifying spend that reached it (this order gross). */
  spendMinor: bigint;
}

export interface MemberReplay {
  orders: ReplayedOrder[];
  /** In recording order: by order, then currency. */
  earns: ReplayedEarn[];
  tierChanges: ReplayedTierChange[];
  /** The member's tier after its history, when an order moved it up (member_tiers: reached and retained from now). */
  tierAfter: { code: string; retainUntil: Date } | null;
  /** Whether an order vested at once (its PENDING referral, if any, may qualify now). */
  vestedAtOnce: boolean;
}

/**
 * Code point order (UTF-8 byte order, PostgreSQL's "C" collation): UTF-16 code unit order except that surrogates
 * (characters beyond U+FFFF) sort after U+E000..U+FFFF.
 */
export function compareCodePoints(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    let a = left.charCodeAt(index);
    let b = right.charCodeAt(index);
    if (a === b) continue;
    if (a >= 0xd800) a += a <= 0xdfff ? 0x2000 : -0x800;
    if (b >= 0xd800) b += b <= 0xdfff ? 0x2000 : -0x800;
    return a - b;
  }
  return left.length - right.length;
}

/** The replay order: placed_at, then external id in byte order. */
export function replayOrder(left: HistoryOrder, right: HistoryOrder): number {
  return left.placedAt.getTime() - right.placedAt.getTime() || compareCodePoints(left.externalId, right.externalId);
}

/** An order's amount in the base currency net of refunds: floor(base x unrefunded share) (netBaseAmountSql). */
export function netBaseMinor(order: Pick<HistoryOrder, 'baseAmountMinor' | 'amountMinor' | 'refundedMinor'>): bigint {
  if (order.refundedMinor === 0n) return order.baseAmountMinor;
  return (order.baseAmountMinor * (order.amountMinor - order.refundedMinor)) / order.amountMinor;
}

const statusOf = (order: HistoryOrder): OrderStatus =>
  order.refundedMinor === 0n ? OrderStatus.PAID : order.refundedMinor === order.amountMinor ? OrderStatus.REFUNDED : OrderStatus.PARTIALLY_REFUNDED;

/** What every member's replay shares, worked out once per import. */
export interface PreparedProgramme {
  programme: ReplayProgramme;
  rulesByCurrency: Map<string, CampaignRule[]>;
  multipliers: Map<string, Decimal>;
  nowMs: number;
  windowStartMs: number;
}

export function prepareProgramme(programme: ReplayProgramme): PreparedProgramme {
  const rulesByCurrency = new Map(programme.currencies.map((currency) => [currency.code, programme.rules.filter((rule) => rule.currency === currency.code)]));
  const multipliers = new Map(programme.ladder.map((tier) => [tier.code, earnMultiplierOf(tier)]));
  return { programme, rulesByCurrency, multipliers, nowMs: programme.now.getTime(), windowStartMs: programme.windowStart.getTime() };
}

/**
 * Replays one member's new orders (any order: they are sorted here by placed_at, then external id in byte order)
 * on its stored standing.
 */
export function replayMember(prepared: PreparedProgramme, standing: MemberStanding, newOrders: HistoryOrder[]): MemberReplay {
  const { programme, rulesByCurrency, multipliers, nowMs, windowStartMs } = prepared;
  const { now, ladder } = programme;
  const orders = [...newOrders].sort(replayOrder);
  let tier = { tierCode: standing.tierCode, retainUntil: standing.retainUntil };
  let spendBefore = standing.spendMinor;
  const result: MemberReplay = { orders: [], earns: [], tierChanges: [], tierAfter: null, vestedAtOnce: false };
  orders.forEach((order, index) => {
    const placedMs = order.placedAt.getTime();
    const counts = placedMs > windowStartMs && placedMs <= nowMs;
    // recordOrder: this order counts gross (its refund comes after it).
    const spend = spendBefore + (counts ? order.baseAmountMinor : 0n);
    const { tier: held, decision } = tierAfterOrder(ladder, tier, spend, now, programme);
    if (decision) {
      result.tierChanges.push({ order, fromTier: tier.tierCode, toTier: decision.tierCode, spendMinor: spend });
      tier = { tierCode: decision.tierCode, retainUntil: decision.retainUntil };
      result.tierAfter = { code: decision.tierCode, retainUntil: decision.retainUntil! };
    }
    // No order of the member placed at or before this one: neither stored nor earlier in the replay.
    const isFirstOrder = index === 0 && (standing.firstPlacedAtMs === null || standing.firstPlacedAtMs > placedMs);
    const vestsAt = addDays(order.placedAt, programme.returnWindowDays);
    const pending = vestsAt.getTime() > nowMs;
    if (!pending) result.vestedAtOnce = true;
    const earned: ReplayedOrder['details']['earned'] = {};
    let pointsEarned = 0n;
    for (const currency of programme.currencies) {
      const earning = evaluateEarning(
        {
          baseAmountMinor: order.baseAmountMinor,
          baseDigits: programme.baseDigits,
          market: standing.country,
          placedAt: order.placedAt,
          isFirstOrder,
          earnRate: currency.earnRate,
          tierMultiplier: multipliers.get(held.code)!,
        },
        rulesByCurrency.get(currency.code)!,
      );
      if (earning.points <= 0n) continue;
      earned[currency.code] = { points: earning.points.toString(), rules: earning.applied };
      if (currency.code === DEFAULT_POINTS_CURRENCY) pointsEarned = earning.points;
      result.earns.push({
        order,
        currency: currency.code,
        points: earning.points,
        pending,
        vestsAt: pending ? vestsAt : null,
        expiresAt: addMonths(order.placedAt, currency.expiryMonths),
        rules: earning.applied,
        // takeBackPoints: floor(lot amount x refunded / order amount).
        clawback: order.refundedMinor === 0n ? 0n : (earning.points * order.refundedMinor) / order.amountMinor,
      });
    }
    result.orders.push({ order, status: statusOf(order), pointsEarned, details: { earned } });
    // The order (after its refund) in the spend the next order sees.
    if (counts) spendBefore += netBaseMinor(order);
  });
  return result;
}

/** One earn's lot as the ledger leaves it after the order and its refund, and where the clawback came from. */
export interface SettledEarn {
  /** points_lots.remaining. */
  remaining: bigint;
  fromPending: bigint;
  fromPosted: bigint;
}

/**
 * The lots and balance changes of one account's earns (in recording order), from its posted balance before them:
 * ledger_post's lot (pending: the points; vested: net of clawback debt, least(points, max(posted after, 0))), then the
 * refund's clawback (takeBackPoints: from pending while the lot is pending, otherwise from posted, drawn from the
 * order's own lot). When a vested lot cannot cover its clawback the posted balance before it was not positive, so
 * no other lot of the account holds anything to draw.
 */
export function settleAccount(earns: readonly Pick<ReplayedEarn, 'points' | 'pending' | 'clawback'>[], postedBefore: bigint): { settled: SettledEarn[]; posted: bigint; pending: bigint } {
  let posted = postedBefore;
  let pendingDelta = 0n;
  const settled = earns.map((earn): SettledEarn => {
    if (earn.pending) {
      // A pending lot holds all its points: the clawback (at most the points) comes out of it.
      pendingDelta += earn.points - earn.clawback;
      return { remaining: earn.points - earn.clawback, fromPending: earn.clawback, fromPosted: 0n };
    }
    posted += earn.points;
    const start = earn.points < posted ? earn.points : posted > 0n ? posted : 0n;
    posted -= earn.clawback;
    const drawn = earn.clawback < start ? earn.clawback : start;
    return { remaining: start - drawn, fromPending: 0n, fromPosted: earn.clawback };
  });
  return { settled, posted: posted - postedBefore, pending: pendingDelta };
}
