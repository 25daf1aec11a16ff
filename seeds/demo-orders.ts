import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../src/app/container';
import { createRequestContext, RequestContext, systemScope } from '../src/graphql/context';
import { minorUnitDigits } from '../src/money/currency';
import { floorDiv, formatDecimal, parseDecimal } from '../src/money/decimal';
import { formatMoney } from '../src/money/money';
import { DEFAULT_POINTS_CURRENCY, pointsCurrencyOrFail } from '../src/modules/ledger/points-currency.service';
import type { EnrollmentInput } from '../src/modules/members/member.validation';
import { addDays, addMonths, DAY_MS } from '../src/time';

/*
 * The demo programme's money and points: exchange rates, campaign rules, two years of orders per demo
 * member, a few refunds, two checkout redemptions and one manual adjustment, all through the services.
 *
 * Everything is derived from the member's position in demoMembers() and from today (UTC midnight), never
 * from Math.random, so two runs on the same day plan the same inputs. A run on a later day plans other
 * dates, so whatever already exists (by externalId, refundId, idempotency key, rule code, rate history)
 * is skipped rather than replayed.
 */

const HOUR_MS = 60 * 60 * 1000;

/** Units of each demo currency per 1 USD, from 2 years + 1 month ago; USD itself for cross rates. */
export const DEMO_RATES: Record<string, string> = {
  USD: '1',
  EUR: '0.92',
  IDR: '15650',
  MYR: '4.72',
  SAR: '3.75',
  BRL: '5.02',
  JPY: '148.5',
  KWD: '0.3075',
};

/** Newer rates for a few currencies, from RECENT_RATE_DAYS ago, so the history shows a change. */
export const DEMO_RECENT_RATES: Record<string, string> = {
  IDR: '16380',
  BRL: '5.62',
  JPY: '156.2',
};
export const RECENT_RATE_DAYS = 120;

/** Approximate Ramadan windows [start, end) in UTC (first day of fasting to Eid al-Fitr). */
const RAMADAN_WINDOWS: [string, string][] = [
  ['2025-03-01', '2025-03-31'],
  ['2026-02-18', '2026-03-20'],
  ['2027-02-08', '2027-03-10'],
  ['2028-01-28', '2028-02-27'],
  ['2029-01-16', '2029-02-15'],
  ['2030-01-06', '2030-02-05'],
  ['2030-12-26', '2031-01-25'],
  ['2031-12-15', '2032-01-14'],
  ['2032-12-04', '2033-01-03'],
];
export const RAMADAN_MARKETS = ['ID', 'MY', 'SA'];

/** The most recent Ramadan that ended before `today`: the window of the RAMADAN_2X rule. */
export function ramadanWindow(today: Date): { startsAt: Date; endsAt: Date } {
  const past = RAMADAN_WINDOWS.map(([start, end]) => ({ startsAt: new Date(`${start}T00:00:00Z`), endsAt: new Date(`${end}T00:00:00Z`) })).filter(
    (window) => window.endsAt <= today,
  );
  return past[past.length - 1];
}

/** Typical order amounts per currency, in minor units: [min, max, step]. */
const ORDER_AMOUNTS: Record<string, [number, number, number]> = {
  USD: [1500, 24000, 1], // 15.00 - 240.00
  EUR: [1200, 20000, 5], // 12.00 - 200.00
  IDR: [15_000_000, 250_000_000, 100_000], // 150 000 - 2 500 000 rupiah, in thousands
  MYR: [4000, 60000, 10], // 40.00 - 600.00
  SAR: [5000, 80000, 5], // 50.00 - 800.00
  BRL: [6000, 90000, 10], // 60.00 - 900.00
  JPY: [1500, 32000, 10], // 1 500 - 32 000 yen
  KWD: [5000, 70000, 5], // 5.000 - 70.000, three decimals
};

export interface PlannedOrder {
  memberExternalId: string;
  externalId: string;
  amount: { amount: string; currency: string };
  placedAt: Date;
}

export interface PlannedRefund {
  orderExternalId: string;
  refundId: string;
  amount: { amount: string; currency: string };
}

export interface PlannedRedemption {
  memberExternalId: string;
  points: number;
  orderRef: string;
  idempotencyKey: string;
}

export interface PlannedAdjustment {
  memberExternalId: string;
  points: number;
  reason: string;
  idempotencyKey: string;
}

export interface DemoLedgerPlan {
  orders: PlannedOrder[];
  refunds: PlannedRefund[];
  redemptions: PlannedRedemption[];
  adjustment: PlannedAdjustment;
}

export interface PlanSettings {
  /** Points earned on an order stay pending this many days (config.returnWindowDays). */
  returnWindowDays: number;
  /** Months until earned PTS expire (the PTS points currency). */
  expiryMonths: number;
}

/** A deterministic 32-bit mix of two small numbers (no Math.random: the same input plans the same demo). */
export function mix(a: number, b: number): number {
  let x = Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 7, 0x85ebca6b);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  x = Math.imul(x, 0x297a2d39);
  x ^= x >>> 15;
  return x >>> 0;
}

function money(minor: bigint, currency: string): { amount: string; currency: string } {
  return { amount: formatMoney({ minor, currency }), currency };
}

function minorOf(amount: { amount: string; currency: string }): bigint {
  const digits = minorUnitDigits(amount.currency)!;
  const [whole, fraction = ''] = amount.amount.split('.');
  return BigInt(whole + fraction.padEnd(digits, '0'));
}

/**
 * The orders, refunds, redemptions and adjustment of the demo programme for `members` (demoMembers(now)).
 * Member i joined a fixed number of days before today; its orders fall between the day after it joined and
 * a few days ago. No order is placed where its points would vest or expire later the same day, so running
 * the ledger jobs twice on one day finds nothing new the second time.
 */
export function demoLedgerPlan(members: EnrollmentInput[], now: Date, settings: PlanSettings): DemoLedgerPlan {
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const ramadan = ramadanWindow(today);
  const daysAgo = (date: Date) => Math.round((today.getTime() - date.getTime()) / DAY_MS);
  /** True when the order's vesting and expiry are at least a day away from today (and it is after joining). */
  const stable = (index: number, day: number, joinedDaysAgo: number) => {
    if (day < 1 || day >= joinedDaysAgo) return false;
    const placedAt = placedAtFor(index, day);
    const vestsAt = addDays(placedAt, settings.returnWindowDays).getTime();
    const expiresAt = addMonths(placedAt, settings.expiryMonths).getTime();
    const near = (time: number) => time >= today.getTime() - DAY_MS && time < today.getTime() + 2 * DAY_MS;
    return !near(vestsAt) && !near(expiresAt);
  };
  /** `day` days before today, at an hour and minute derived from the member and the day. */
  const placedAtFor = (index: number, day: number) =>
    new Date(today.getTime() - day * DAY_MS + (2 + (mix(index, day) % 20)) * HOUR_MS + (mix(day, index) % 60) * 60_000);
  /** The nearest stable day to `day`, looking further back first. */
  const stableDay = (index: number, day: number, joinedDaysAgo: number) => {
    for (let shift = 0; shift < 10; shift += 1) {
      if (stable(index, day + shift, joinedDaysAgo)) return day + shift;
      if (stable(index, day - shift, joinedDaysAgo)) return day - shift;
    }
    throw new Error(`demo plan: no stable day near ${day} for member ${index}`);
  };

  const orders: PlannedOrder[] = [];
  const ordersByMember: PlannedOrder[][] = [];
  members.forEach((member, index) => {
    const currency = member.acquisitionCost!.currency;
    const joinedDaysAgo = daysAgo(member.joinedAt!);
    const count = Math.min(15, 2 + Math.floor(joinedDaysAgo / 90) + (index % 3));
    // The latest order 1 to 24 days ago: about half the members have one inside the return window.
    const last = 1 + ((index * 7) % 24);
    const first = joinedDaysAgo - 1 - (index % 4);
    const days = Array.from({ length: count }, (_, position) => first - Math.round(((first - last) * position) / (count - 1)));
    // Members in the Ramadan markets who were members then place one order during it.
    const ramadanStart = daysAgo(ramadan.startsAt);
    const ramadanLength = daysAgo(ramadan.startsAt) - daysAgo(ramadan.endsAt);
    if (RAMADAN_MARKETS.includes(member.country) && ramadanStart < joinedDaysAgo - 1) {
      const inWindow = Array.from({ length: ramadanLength }, (_, offset) => ramadanStart - ((index * 3 + offset) % ramadanLength)).find(
        (day) => day > last && stable(index, day, joinedDaysAgo),
      );
      if (inWindow !== undefined) {
        // Replace the earlier order nearest to the window (never the latest), keeping the count.
        let nearest = 0;
        for (let position = 0; position < count - 1; position += 1) {
          if (Math.abs(days[position] - inWindow) < Math.abs(days[nearest] - inWindow)) nearest = position;
        }
        days[nearest] = inWindow;
      }
    }
    const [min, max, step] = ORDER_AMOUNTS[currency];
    const planned = days
      .map((day) => stableDay(index, day, joinedDaysAgo))
      .sort((a, b) => b - a)
      .map((day, position) => ({
        memberExternalId: member.externalId,
        externalId: `${member.externalId}-o${String(position + 1).padStart(2, '0')}`,
        amount: money(BigInt(min + (mix(index, 100 + position) % Math.floor((max - min) / step + 1)) * step), currency),
        placedAt: placedAtFor(index, day),
      }));
    ordersByMember.push(planned);
    orders.push(...planned);
  });

  const share = (order: PlannedOrder, percent: bigint) => {
    const step = BigInt(ORDER_AMOUNTS[order.amount.currency][2]);
    return money(((minorOf(order.amount) * percent) / 100n / step) * step, order.amount.currency);
  };
  const refunds: PlannedRefund[] = [];
  // Partial refunds (40%) of the second order of four members, and a second one (20%) on one of them.
  for (const index of [1, 9, 13, 18]) {
    const order = ordersByMember[index][1];
    refunds.push({ orderExternalId: order.externalId, refundId: `${order.externalId}-r1`, amount: share(order, 40n) });
    if (index === 9) refunds.push({ orderExternalId: order.externalId, refundId: `${order.externalId}-r2`, amount: share(order, 20n) });
  }
  // Full refunds: the latest (still pending) order of two members, and the first order of another (long vested).
  for (const [index, position] of [
    [5, ordersByMember[5].length - 1],
    [22, ordersByMember[22].length - 1],
    [15, 0],
  ]) {
    const order = ordersByMember[index][position];
    refunds.push({ orderExternalId: order.externalId, refundId: `${order.externalId}-r1`, amount: order.amount });
  }

  const redemptions: PlannedRedemption[] = [3, 11].map((index) => ({
    memberExternalId: members[index].externalId,
    points: index === 3 ? 150 : 200,
    orderRef: `${members[index].externalId}-checkout-1`,
    idempotencyKey: `${members[index].externalId}-redeem-1`,
  }));
  const adjustment: PlannedAdjustment = {
    memberExternalId: members[20].externalId,
    points: 500,
    reason: 'Goodwill: parcel arrived late (demo)',
    idempotencyKey: `${members[20].externalId}-goodwill-1`,
  };
  return { orders, refunds, redemptions, adjustment };
}

/** `currency` against `base` from a table of units per USD: exact to 8 decimals, rounded down. */
function crossRate(rates: Record<string, string>, currency: string, base: string): string {
  const scaled = (text: string) => {
    const value = parseDecimal(text, 'rate');
    return value.units * 10n ** BigInt(12 - value.scale);
  };
  return formatDecimal({ units: floorDiv(scaled(rates[currency]) * 10n ** 8n, scaled(rates[base])), scale: 8 });
}

/**
 * Exchange rates for the demo currencies against the base currency (cross rates through USD when the base is
 * not USD). A currency's first rate is set unless some rate is already in force from that time on; the recent
 * rates only for a currency that had no rate at all before this run. So an admin's rates are never replaced
 * and a run on a later day adds no rows.
 */
async function seedRates(context: RequestContext, today: Date): Promise<void> {
  const base = context.config.baseCurrency;
  const from = addMonths(today, -25);
  const rows = await context.em.execute<{ currency: string; first: Date }[]>('select currency, min(effective_at) as first from exchange_rates group by currency');
  const earliest = new Map(rows.map((row) => [row.currency, new Date(row.first)]));
  for (const currency of Object.keys(DEMO_RATES)) {
    if (currency === base) continue;
    const known = earliest.get(currency);
    if (!known || known > from) await context.fx.setRate(context, currency, crossRate(DEMO_RATES, currency, base), from);
    if (!known && DEMO_RECENT_RATES[currency]) {
      const recent = { ...DEMO_RATES, [currency]: DEMO_RECENT_RATES[currency] };
      await context.fx.setRate(context, currency, crossRate(recent, currency, base), addDays(today, -RECENT_RATE_DAYS));
    }
  }
}

/** The two campaign rules, unless their codes exist. */
async function seedEarningRules(context: RequestContext, today: Date): Promise<void> {
  const existing = new Set((await context.em.execute<{ code: string }[]>('select code from earning_rules')).map((row) => row.code));
  const ramadan = ramadanWindow(today);
  if (!existing.has('RAMADAN_2X')) {
    await context.earningRules.create(context, {
      code: 'RAMADAN_2X',
      name: 'Ramadan 2x in ID, MY, SA',
      markets: RAMADAN_MARKETS,
      startsAt: ramadan.startsAt,
      endsAt: ramadan.endsAt,
      multiplier: '2',
      firstOrderOnly: false,
    });
  }
  if (!existing.has('WELCOME_50')) {
    await context.earningRules.create(context, { code: 'WELCOME_50', name: 'Welcome: 50 points on the first order', bonusPoints: 50, firstOrderOnly: true });
  }
}

/** The principal of the demo's admin actions (adjustments need one; they are audited as it). */
export const DEMO_ADMIN = { role: 'admin' as const, subject: 'demo-seed' };

/**
 * Loads the demo programme's rates, rules, orders, refunds, redemptions and adjustment for `members` (which
 * must be enrolled). Idempotent: what exists is skipped. Run the ledger jobs afterwards (vesting, expiry).
 */
export async function seedDemoLedger(em: EntityManager, members: EnrollmentInput[], now: Date, services: Services): Promise<void> {
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  // The system's own work: no caller, so nothing is audited...
  const system = createRequestContext(systemScope(em, 'seed'), services);
  // ...except the adjustment, which only a staff member can make (one audit row).
  const admin = createRequestContext({ ...systemScope(em, 'seed'), principal: DEMO_ADMIN }, services);
  const base = system.config.baseCurrency;

  await seedEarningRules(createRequestContext(systemScope(em.fork(), 'seed'), services), today);
  // Demo orders are in the demo currencies; a base currency the rate table cannot reach gets members only.
  if (!DEMO_RATES[base]) return;
  await seedRates(system, today);

  const pts = await pointsCurrencyOrFail(em, DEFAULT_POINTS_CURRENCY);
  const plan = demoLedgerPlan(members, now, { returnWindowDays: system.config.returnWindowDays, expiryMonths: pts.expiryMonths });
  const memberIds = new Map(
    (await em.execute<{ id: string; external_id: string }[]>('select id, external_id from members where external_id like ?', ['demo-%'])).map((row) => [row.external_id, row.id]),
  );
  const idOf = (externalId: string) => {
    const id = memberIds.get(externalId);
    if (!id) throw new Error(`demo member ${externalId} is not enrolled`);
    return id;
  };

  const recorded = new Set((await em.execute<{ external_id: string }[]>('select external_id from orders')).map((row) => row.external_id));
  for (const order of plan.orders) {
    if (recorded.has(order.externalId)) continue;
    await system.orders.record(system, { memberId: idOf(order.memberExternalId), externalId: order.externalId, amount: order.amount, placedAt: order.placedAt });
  }

  const refunded = new Set((await em.execute<{ refund_id: string }[]>('select refund_id from order_refunds')).map((row) => row.refund_id));
  for (const refund of plan.refunds) {
    if (!refunded.has(refund.refundId)) await system.orders.refund(system, refund);
  }

  const held = new Set((await em.execute<{ idempotency_key: string }[]>('select idempotency_key from points_holds')).map((row) => row.idempotency_key));
  for (const redemption of plan.redemptions) {
    if (held.has(redemption.idempotencyKey)) continue;
    // Planned in USD points; under another base currency a member may have fewer.
    const balance = await system.balances.balanceOf(system, idOf(redemption.memberExternalId), DEFAULT_POINTS_CURRENCY);
    if (balance.posted - balance.held < BigInt(redemption.points)) continue;
    const hold = await system.checkout.hold(system, { memberId: idOf(redemption.memberExternalId), points: redemption.points, orderRef: redemption.orderRef, idempotencyKey: redemption.idempotencyKey });
    await system.checkout.capture(system, hold.id);
  }

  // Replays return the first adjustment (its request hash has no time in it).
  const { adjustment } = plan;
  await admin.adjustments.adjust(admin, { memberId: idOf(adjustment.memberExternalId), points: adjustment.points, reason: adjustment.reason, idempotencyKey: adjustment.idempotencyKey });
}
