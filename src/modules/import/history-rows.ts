import { DomainError } from '../../errors';
import { requestHash } from '../../idempotency';
import { Decimal, formatDecimal, parseDecimal } from '../../money/decimal';
import { toBaseCurrency } from '../../money/fx';
import { Money, parseMoney } from '../../money/money';
import { externalIdOrFail, pastTimeOrFail } from '../../validation';
import { OrderStatus } from '../orders/order.entity';
import { Enrollment, enrollmentHash, normaliseEnrollment } from '../members/member.validation';

/*
 * The history CSV files, one row at a time: pure parsing and validation, no database. Members are
 * validated exactly as enrolment validates them (normaliseEnrollment); orders as recordOrder does.
 */

export const MEMBER_COLUMNS = [
  'external_id', 'email', 'country', 'locale', 'birthday', 'acquisition_channel', 'acquisition_cost', 'acquisition_cost_currency', 'joined_at',
] as const;
export const ORDER_COLUMNS = ['external_id', 'member_external_id', 'amount', 'currency', 'placed_at', 'refunded_amount'] as const;
/** Columns that may be left empty (or left out of the header). */
const OPTIONAL = new Set(['locale', 'birthday', 'acquisition_channel', 'acquisition_cost', 'acquisition_cost_currency', 'joined_at', 'refunded_amount']);

/** A row that cannot be imported; `reason` is shown with the file's line number. */
export class RowRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RowRejection';
  }
}

/**
 * Maps a header row to column positions. Every required column must be present; unknown columns are
 * an error (a typo would otherwise silently drop data). Throws a plain Error: the whole file is refused.
 */
export function columnPositions(header: string[], expected: readonly string[], file: string): Map<string, number> {
  const positions = new Map<string, number>();
  header.forEach((name, index) => {
    const column = name.trim().toLowerCase();
    if (!expected.includes(column)) throw new Error(`${file}: unknown column "${name}" in the header (expected ${expected.join(',')})`);
    if (positions.has(column)) throw new Error(`${file}: column "${column}" appears twice in the header`);
    positions.set(column, index);
  });
  const missing = expected.filter((column) => !OPTIONAL.has(column) && !positions.has(column));
  if (missing.length > 0) throw new Error(`${file}: the header lacks ${missing.join(', ')} (expected ${expected.join(',')})`);
  return positions;
}

/** The row's fields by column name: trimmed, with empty strings as null. */
function fieldsOf(row: string[], positions: Map<string, number>, columns: readonly string[]): Record<string, string | null> {
  if (row.length !== positions.size) throw new RowRejection(`expected ${positions.size} fields, found ${row.length}`);
  const fields: Record<string, string | null> = {};
  for (const column of columns) {
    const index = positions.get(column);
    const value = index === undefined ? '' : row[index].trim();
    fields[column] = value === '' ? null : value;
  }
  for (const column of columns) if (!OPTIONAL.has(column) && fields[column] === null) throw new RowRejection(`${column} is empty`);
  return fields;
}

/** An ISO 8601 time with an explicit offset or Z (a bare date or local time is ambiguous across servers). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function timeOrReject(value: string, column: string, now: Date): Date {
  const time = new Date(value);
  if (!TIMESTAMP.test(value) || Number.isNaN(time.getTime())) {
    throw new RowRejection(`${column}: "${value}" is not an ISO 8601 time with a zone, such as 2024-03-01T12:00:00Z`);
  }
  return validatedRow(() => pastTimeOrFail(time, column, now));
}

/** Runs a shared validator and turns its BAD_USER_INPUT into a row rejection with the same message. */
export function validatedRow<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DomainError) throw new RowRejection(error.message);
    throw error;
  }
}

export interface MemberRow {
  enrollment: Enrollment;
  /** As enrolment stores it: a later enrolment of the same member with the same data is a replay. */
  hash: string;
  /** joined_at, or the import's start when empty (as enrolment does with "now"). */
  joinedAt: Date;
}

export function parseMemberRow(row: string[], positions: Map<string, number>, now: Date): MemberRow {
  const fields = fieldsOf(row, positions, MEMBER_COLUMNS);
  const cost = fields.acquisition_cost;
  const costCurrency = fields.acquisition_cost_currency;
  if ((cost === null) !== (costCurrency === null)) {
    throw new RowRejection('acquisition_cost and acquisition_cost_currency are given together or not at all');
  }
  const joinedAt = fields.joined_at === null ? null : timeOrReject(fields.joined_at, 'joined_at', now);
  const enrollment = validatedRow(() =>
    normaliseEnrollment(
      {
        externalId: fields.external_id!,
        email: fields.email!,
        country: fields.country!,
        locale: fields.locale,
        birthday: fields.birthday,
        acquisitionChannel: fields.acquisition_channel,
        acquisitionCost: cost === null ? null : { amount: cost, currency: costCurrency! },
        joinedAt,
      },
      now,
    ),
  );
  return { enrollment, hash: enrollmentHash(enrollment), joinedAt: enrollment.joinedAt ?? now };
}

export interface OrderRow {
  externalId: string;
  memberExternalId: string;
  amount: Money;
  placedAt: Date;
  refundedMinor: bigint;
  status: OrderStatus;
}

export function parseOrderRow(row: string[], positions: Map<string, number>, now: Date): OrderRow {
  const fields = fieldsOf(row, positions, ORDER_COLUMNS);
  const externalId = validatedRow(() => externalIdOrFail(fields.external_id!, 'external_id'));
  const memberExternalId = validatedRow(() => externalIdOrFail(fields.member_external_id!, 'member_external_id'));
  const amount = validatedRow(() => parseMoney(fields.amount!, fields.currency!, 'amount'));
  const placedAt = timeOrReject(fields.placed_at!, 'placed_at', now);
  const refundedMinor = fields.refunded_amount === null ? 0n : validatedRow(() => parseMoney(fields.refunded_amount!, amount.currency, 'refunded', { allowZero: true })).minor;
  if (refundedMinor > amount.minor) throw new RowRejection('refunded_amount: exceeds the amount');
  const status = refundedMinor === 0n ? OrderStatus.PAID : refundedMinor === amount.minor ? OrderStatus.REFUNDED : OrderStatus.PARTIALLY_REFUNDED;
  return { externalId, memberExternalId, amount, placedAt, refundedMinor, status };
}

/** The hash recordOrder stores for the same order, so a later recordOrder of an imported order is a replay. */
export function orderRequestHash(memberId: string, order: OrderRow): string {
  return requestHash([memberId, order.externalId, order.amount.minor, order.amount.currency, order.placedAt]);
}

/** The refund id under which an imported order's refunded amount is recorded (one refund per order). */
export const historyRefundId = (orderExternalId: string): string => `history:${orderExternalId}`;

/** The hash refundOrder stores for that refund (requestHash([orderExternalId, refundId, amount, currency])). */
export function historyRefundHash(order: OrderRow): string {
  return requestHash([order.externalId, historyRefundId(order.externalId), order.refundedMinor, order.amount.currency]);
}

/**
 * The exchange-rate history, loaded once: per currency, rates sorted by the time they take effect.
 * rateAt finds the one in force at a time (the latest effective at or before it), as FxService.rateAt does.
 */
export class RateHistory {
  private readonly byCurrency = new Map<string, { effectiveAt: number[]; rates: { rate: Decimal; text: string }[] }>();

  constructor(
    readonly baseCurrency: string,
    rows: { currency: string; rate: string; effectiveAt: Date }[],
  ) {
    const sorted = rows.slice().sort((left, right) => left.effectiveAt.getTime() - right.effectiveAt.getTime());
    for (const row of sorted) {
      let history = this.byCurrency.get(row.currency);
      if (!history) this.byCurrency.set(row.currency, (history = { effectiveAt: [], rates: [] }));
      const rate = parseDecimal(row.rate, 'rate');
      history.effectiveAt.push(row.effectiveAt.getTime());
      history.rates.push({ rate, text: formatDecimal(rate) });
    }
  }

  rateAt(currency: string, at: Date): { rate: Decimal; text: string } {
    if (currency === this.baseCurrency) return { rate: { units: 1n, scale: 0 }, text: '1' };
    const history = this.byCurrency.get(currency);
    const time = at.getTime();
    // Binary search for the last effectiveAt <= time.
    let low = 0;
    let high = history ? history.effectiveAt.length : 0;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (history!.effectiveAt[middle] <= time) low = middle + 1;
      else high = middle;
    }
    if (!history || low === 0) throw new RowRejection(`no exchange rate for ${currency} in force at ${at.toISOString()}`);
    return history.rates[low - 1];
  }

  /** The amount in the base currency (rounded down, as recordOrder does) and the rate used. */
  convert(amount: Money, at: Date): { base: Money; fxRate: string } {
    const { rate, text } = this.rateAt(amount.currency, at);
    return { base: toBaseCurrency(amount, this.baseCurrency, rate), fxRate: text };
  }
}
