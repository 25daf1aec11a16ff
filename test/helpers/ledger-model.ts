/*
 * A plain, in-memory model of one programme's PTS ledger, written from DESIGN §3 and the doc comments of
 * src/modules/ledger, src/modules/orders, src/modules/checkout and src/jobs (not from their SQL). The
 * property test in test/integration/ledger.property.test.ts runs the same operations against the real
 * services and this model and compares outcomes, balances, lots and holds.
 *
 * Rules it follows:
 * - Earning: 1 PTS per 1.00 of the base currency (USD), the order converted at the rate in force when it
 *   was placed (rounded down to a base minor unit, then to whole points). The points are PENDING while
 *   placedAt + returnWindowDays is after the service's real clock, otherwise posted at once. Each earn
 *   makes a lot that expires expiryMonths (12) after placedAt.
 * - Vested lots always hold max(posted, 0): a lot credited while the balance is in clawback debt starts
 *   with only what is left after the debt is repaid (at creation, or at vesting).
 * - Refunds take back floor(lot.amount x refunded share) minus what was already taken back: from the
 *   pending lot first; from posted otherwise, drawing the order's own lot first, then the soonest-expiring
 *   others; what no lot covers leaves posted negative (debt).
 * - Spending (capture, negative adjustment, expiry) draws vested lots soonest-expiry first (ties: oldest).
 * - Holds count (held) while HELD; a hold needs available = posted - held >= points; an expired hold (at
 *   the clock of whoever looks: services the real clock, jobs the `now` they are given) is released.
 * - Expiry job: per member, min(remaining in due vested lots, available) expires, drawn from due lots only.
 * - Idempotency: a replay with the same input is a no-op success; with other input IDEMPOTENCY_CONFLICT.
 *   Failed requests store nothing.
 */

export const RETURN_WINDOW_DAYS = 14;
export const EXPIRY_MONTHS = 12;
export const MIN_HOLD_POINTS = 100n;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The rates the test sets (units of the currency per 1 USD) and each currency's minor digits. */
export const CURRENCIES = {
  USD: { digits: 2, rate: { units: 1n, scale: 0 } },
  EUR: { digits: 2, rate: { units: 9n, scale: 1 } }, // 0.9
  JPY: { digits: 0, rate: { units: 150n, scale: 0 } }, // 150
} as const;
export type OrderCurrency = keyof typeof CURRENCIES;

/** A successful result, or the error code the service should fail with. */
export type Outcome = 'OK' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'INSUFFICIENT_POINTS' | 'HOLD_NOT_ACTIVE' | 'IDEMPOTENCY_CONFLICT';

export interface ModelLot {
  /** Creation order (the database's lot id order). */
  seq: number;
  orderExternalId: string | null;
  amount: bigint;
  remaining: bigint;
  reversed: bigint;
  pending: boolean;
  vestsAt: Date | null;
  expiresAt: Date;
}

export interface ModelOrder {
  externalId: string;
  id: string;
  member: number;
  currency: OrderCurrency;
  amountMinor: bigint;
  placedAtInput: number | null;
  refundedMinor: bigint;
  points: bigint;
  lot: ModelLot | null;
}

export interface ModelRefund {
  refundId: string;
  orderExternalId: string;
  currency: string;
  amountMinor: bigint;
}

export type HoldStatus = 'HELD' | 'CAPTURED' | 'RELEASED' | 'EXPIRED';

export interface ModelHold {
  id: string;
  key: string;
  member: number;
  points: bigint;
  orderRef: string;
  ttlSeconds: number;
  status: HoldStatus;
  expiresAt: Date;
}

export interface ModelAdjustment {
  key: string;
  entryId: string;
  member: number;
  points: bigint;
  reason: string;
}

export interface ModelAccount {
  posted: bigint;
  pending: bigint;
  lots: ModelLot[];
}

export interface ModelBalance {
  posted: bigint;
  pending: bigint;
  held: bigint;
  available: bigint;
}

/** `date` plus whole calendar months in UTC, the day clamped to the target month's last day. */
export function plusCalendarMonths(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const daysInTarget = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(year, month, Math.min(date.getUTCDate(), daysInTarget), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()),
  );
}

export function plusDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** PTS an order earns: floor(floor(amount / rate to USD cents) / 100). */
export function pointsFor(amountMinor: bigint, currency: OrderCurrency): bigint {
  const { digits, rate } = CURRENCIES[currency];
  const usdCents = (amountMinor * 100n * 10n ** BigInt(rate.scale)) / (rate.units * 10n ** BigInt(digits));
  return usdCents / 100n;
}

/** Minor units as the decimal string the API takes ("12.34" USD, "1500" JPY). */
export function formatAmount(amountMinor: bigint, currency: OrderCurrency): string {
  const { digits } = CURRENCIES[currency];
  if (digits === 0) return amountMinor.toString();
  const text = amountMinor.toString().padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const positive = (a: bigint): bigint => (a > 0n ? a : 0n);

export class LedgerModel {
  readonly accounts: ModelAccount[];
  readonly orders = new Map<string, ModelOrder>();
  readonly refunds = new Map<string, ModelRefund>();
  readonly holds = new Map<string, ModelHold>();
  readonly adjustments = new Map<string, ModelAdjustment>();
  private lotSeq = 0;

  constructor(members: number) {
    this.accounts = Array.from({ length: members }, () => ({ posted: 0n, pending: 0n, lots: [] }));
  }

  held(member: number): bigint {
    let held = 0n;
    for (const hold of this.holds.values()) if (hold.member === member && hold.status === 'HELD') held += hold.points;
    return held;
  }

  balance(member: number): ModelBalance {
    const { posted, pending } = this.accounts[member];
    const held = this.held(member);
    return { posted, pending, held, available: posted - held };
  }

  /** What recordOrder should do. `clock` is the real time just before the call; `placedAt` what the order got. */
  recordOrder(
    input: { member: number; externalId: string; currency: OrderCurrency; amountMinor: bigint; placedAtInput: Date | null },
    facts: { clock: Date; placedAt: Date; id: string } | null,
  ): Outcome {
    const existing = this.orders.get(input.externalId);
    if (existing) {
      const same =
        existing.member === input.member &&
        existing.currency === input.currency &&
        existing.amountMinor === input.amountMinor &&
        existing.placedAtInput === (input.placedAtInput?.getTime() ?? null);
      return same ? 'OK' : 'IDEMPOTENCY_CONFLICT';
    }
    if (!facts) return 'OK';
    const points = pointsFor(input.amountMinor, input.currency);
    const order: ModelOrder = {
      externalId: input.externalId,
      id: facts.id,
      member: input.member,
      currency: input.currency,
      amountMinor: input.amountMinor,
      placedAtInput: input.placedAtInput?.getTime() ?? null,
      refundedMinor: 0n,
      points,
      lot: null,
    };
    this.orders.set(order.externalId, order);
    if (points > 0n) {
      const account = this.accounts[input.member];
      const vestsAt = plusDays(facts.placedAt, RETURN_WINDOW_DAYS);
      const pending = vestsAt.getTime() > facts.clock.getTime();
      if (pending) account.pending += points;
      else account.posted += points;
      order.lot = this.addLot(account, {
        orderExternalId: order.externalId,
        amount: points,
        pending,
        vestsAt: pending ? vestsAt : null,
        expiresAt: plusCalendarMonths(facts.placedAt, EXPIRY_MONTHS),
      });
    }
    return 'OK';
  }

  /** What refundOrder should do; does it when that is a success. */
  refundOrder(input: { orderExternalId: string; refundId: string; currency: string; amountMinor: bigint }): Outcome {
    const order = this.orders.get(input.orderExternalId);
    if (!order) return 'NOT_FOUND';
    const previous = this.refunds.get(input.refundId);
    if (previous) {
      const same = previous.orderExternalId === input.orderExternalId && previous.currency === input.currency && previous.amountMinor === input.amountMinor;
      return same ? 'OK' : 'IDEMPOTENCY_CONFLICT';
    }
    if (input.currency !== order.currency) return 'BAD_USER_INPUT';
    const refunded = order.refundedMinor + input.amountMinor;
    if (refunded > order.amountMinor) return 'BAD_USER_INPUT';

    this.refunds.set(input.refundId, { ...input });
    order.refundedMinor = refunded;
    const lot = order.lot;
    if (lot) {
      const account = this.accounts[order.member];
      const target = (lot.amount * refunded) / order.amountMinor;
      const clawback = target - lot.reversed;
      if (clawback > 0n) {
        const fromPending = lot.pending ? min(clawback, lot.remaining) : 0n;
        account.pending -= fromPending;
        lot.remaining -= fromPending;
        const fromPosted = clawback - fromPending;
        if (fromPosted > 0n) {
          account.posted -= fromPosted;
          const drawn = this.draw(account, fromPosted, (candidate) => candidate === lot);
          this.draw(account, fromPosted - drawn, () => true);
        }
        lot.reversed = target;
      }
    }
    return 'OK';
  }

  /** What holdPoints should do; `facts` (the created hold) are given when it succeeded. */
  hold(
    input: { member: number; points: bigint; orderRef: string; key: string; ttlSeconds: number; clock: Date },
    facts: { id: string; expiresAt: Date } | null,
  ): Outcome {
    if (input.points < MIN_HOLD_POINTS) return 'BAD_USER_INPUT';
    const existing = this.holds.get(input.key);
    if (existing) {
      const same = existing.member === input.member && existing.points === input.points && existing.orderRef === input.orderRef && existing.ttlSeconds === input.ttlSeconds;
      return same ? 'OK' : 'IDEMPOTENCY_CONFLICT';
    }
    this.expireHolds(input.clock, input.member);
    if (this.balance(input.member).available < input.points) return 'INSUFFICIENT_POINTS';
    if (facts) {
      this.holds.set(input.key, {
        id: facts.id,
        key: input.key,
        member: input.member,
        points: input.points,
        orderRef: input.orderRef,
        ttlSeconds: input.ttlSeconds,
        status: 'HELD',
        expiresAt: facts.expiresAt,
      });
    }
    return 'OK';
  }

  /** What capturePoints / releasePoints should do to the hold with idempotency key `key` (undefined: an unknown hold); does it. */
  resolveHold(key: string | undefined, outcome: 'CAPTURED' | 'RELEASED', clock: Date): Outcome {
    const hold = key === undefined ? undefined : this.holds.get(key);
    if (!hold) return 'NOT_FOUND';
    this.expireHolds(clock, hold.member);
    if (outcome === 'CAPTURED' && hold.status === 'CAPTURED') return 'OK';
    if (hold.status !== 'HELD') return 'HOLD_NOT_ACTIVE';
    hold.status = outcome;
    if (outcome === 'CAPTURED') {
      const account = this.accounts[hold.member];
      account.posted -= hold.points;
      this.draw(account, hold.points, () => true);
    }
    return 'OK';
  }

  /** adjustPoints as an admin; `facts` (the entry) are given when it succeeded. */
  adjust(input: { member: number; points: bigint; reason: string; key: string }, facts: { entryId: string; expiresAt: Date | null } | null): Outcome {
    const existing = this.adjustments.get(input.key);
    if (existing) {
      const same = existing.member === input.member && existing.points === input.points && existing.reason === input.reason;
      return same ? 'OK' : 'IDEMPOTENCY_CONFLICT';
    }
    const magnitude = input.points < 0n ? -input.points : input.points;
    if (input.points < 0n && this.balance(input.member).available < magnitude) return 'INSUFFICIENT_POINTS';
    if (!facts) return 'OK';
    this.adjustments.set(input.key, { key: input.key, entryId: facts.entryId, member: input.member, points: input.points, reason: input.reason });
    const account = this.accounts[input.member];
    if (input.points > 0n) {
      account.posted += magnitude;
      if (!facts.expiresAt) throw new Error('a positive adjustment must carry an expiry');
      this.addLot(account, { orderExternalId: null, amount: magnitude, pending: false, vestsAt: null, expiresAt: facts.expiresAt });
    } else {
      account.posted -= magnitude;
      this.draw(account, magnitude, () => true);
    }
    return 'OK';
  }

  /** runLedgerJobs(orm, now): expire holds, then vest due pending lots, then expire due points. */
  runJobs(now: Date): void {
    for (let member = 0; member < this.accounts.length; member++) this.expireHolds(now, member);
    for (const account of this.accounts) {
      for (const lot of account.lots) {
        if (!lot.pending || !lot.vestsAt || lot.vestsAt.getTime() > now.getTime()) continue;
        account.pending -= lot.remaining;
        account.posted += lot.remaining;
        lot.remaining = min(lot.remaining, positive(account.posted));
        lot.pending = false;
      }
    }
    this.accounts.forEach((account, member) => {
      const isDue = (lot: ModelLot) => lot.expiresAt.getTime() <= now.getTime();
      const due = account.lots.filter((lot) => !lot.pending && isDue(lot)).reduce((sum, lot) => sum + lot.remaining, 0n);
      const amount = min(due, this.balance(member).available);
      if (amount <= 0n) return;
      account.posted -= amount;
      this.draw(account, amount, isDue);
    });
  }

  private expireHolds(now: Date, member: number): void {
    for (const hold of this.holds.values()) {
      if (hold.member === member && hold.status === 'HELD' && hold.expiresAt.getTime() <= now.getTime()) hold.status = 'EXPIRED';
    }
  }

  private addLot(account: ModelAccount, lot: Omit<ModelLot, 'seq' | 'remaining' | 'reversed'>): ModelLot {
    // Called after the credit: a vested lot starts net of any clawback debt.
    const created: ModelLot = { ...lot, seq: ++this.lotSeq, reversed: 0n, remaining: lot.pending ? lot.amount : min(lot.amount, positive(account.posted)) };
    account.lots.push(created);
    return created;
  }

  /** Draws up to `amount` from vested lots passing `filter`, soonest expiry first (ties: oldest); returns what it drew. */
  private draw(account: ModelAccount, amount: bigint, filter: (lot: ModelLot) => boolean): bigint {
    const candidates = account.lots
      .filter((lot) => !lot.pending && lot.remaining > 0n && filter(lot))
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.seq - b.seq);
    let left = amount;
    for (const lot of candidates) {
      if (left <= 0n) break;
      const taken = min(lot.remaining, left);
      lot.remaining -= taken;
      left -= taken;
    }
    return amount - left;
  }
}
