import type { EntityManager } from '@mikro-orm/postgresql';
import { namedStatement, runNamed } from '../../db/sql';
import { FreezeStatus } from './points-freeze.entity';
import { LedgerEntryKind, TransferBucket } from './points-transfer.entity';

/** Counterparty accounts, one per purpose and points currency. */
export type SystemAccount = 'ISSUANCE' | 'REDEMPTION' | 'EXPIRY' | 'REVERSAL' | 'ADJUSTMENT' | 'REFERRAL' | 'ERASURE';

/** A member account row, locked FOR UPDATE by the current transaction. */
export interface LockedAccount {
  id: string;
  memberId: string;
  currency: string;
  posted: bigint;
  pending: bigint;
  /** Stored held: HELD holds not yet expired (locking expired the due ones). */
  held: bigint;
  /** How many due holds locking the account expired. */
  expiredHolds: number;
}

export interface TransferInput {
  account: LockedAccount;
  /** From the member's side: CREDIT adds to the member, DEBIT takes from it. Ignored for VEST. */
  direction: 'CREDIT' | 'DEBIT';
  bucket: TransferBucket;
  kind: LedgerEntryKind;
  amount: bigint;
  counterparty: SystemAccount;
  reference?: string | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
  orderId?: string | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
  expiresAt?: Date | null;
}

export interface TransferRow {
  id: string;
  currency: string;
  kind: LedgerEntryKind;
  bucket: TransferBucket;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
  member_id: string;
  idempotency_key: string | null;
  request_hash: string | null;
  order_id: string | null;
  reference: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  expires_at: Date | null;
  created_at: Date;
}

/** A locked account row as the lock functions return it (bigints as strings). */
interface LockedRow {
  id: string;
  member_id: string;
  currency: string;
  posted: string;
  pending: string;
  held: string;
  expired_holds: number;
}

const LOCK_MEMBER_ACCOUNT = namedStatement('ledger_lock_account', 'select * from ledger_lock_account(?, ?, ?)');
const LOCK_ACCOUNT_BY_ID = namedStatement('ledger_lock_account_by_id', 'select * from ledger_lock_account_by_id(?, ?)');
const SYSTEM_ACCOUNT = namedStatement('ledger_system_account', 'select ledger_system_account(?, ?) as id');
const POST = namedStatement('ledger_post', 'select * from ledger_post(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
const DRAW_FROM_LOTS = namedStatement('ledger_draw_from_lots', 'select ledger_draw_from_lots(?, ?, ?, ?) as taken');
const CHANGE_HELD = namedStatement('ledger_change_held', 'update points_accounts set held = held + ? where id = ?');

/**
 * The only code that moves points. Every method runs inside the caller's transaction (`tx`), after the member
 * account was locked with lockMemberAccount or lockAccountById: lock, then check, then write. Each method is one
 * round trip to a ledger function (migration ledger_commands), which keeps the account's balances in step with
 * the entries; the LockedAccount here mirrors them. Locking an account also expires its due holds, so an expired
 * hold never counts as held, whoever locks. A transaction that needs several accounts locks them in id order.
 */
export class Ledger {
  constructor(private readonly tx: EntityManager) {}

  /** Locks the member's account for `currency` (SELECT ... FOR UPDATE), creating it on first use, and expires its due holds. */
  async lockMemberAccount(memberId: string, currency: string, now: Date = new Date()): Promise<LockedAccount> {
    const [row] = await runNamed<LockedRow>(this.tx, LOCK_MEMBER_ACCOUNT, [memberId, currency, now]);
    return toLocked(row);
  }

  /** Locks an existing member account by id (jobs find work first, then lock) and expires its due holds. */
  async lockAccountById(accountId: string, now: Date = new Date()): Promise<LockedAccount> {
    const [row] = await runNamed<LockedRow>(this.tx, LOCK_ACCOUNT_BY_ID, [accountId, now]);
    return toLocked(row);
  }

  /** The id of a system account, created on first use. System accounts are never locked. */
  async systemAccountId(code: SystemAccount, currency: string): Promise<string> {
    const [row] = await runNamed<{ id: string }>(this.tx, SYSTEM_ACCOUNT, [code, currency]);
    return row.id;
  }

  /**
   * Appends one transfer and updates the member account's balances with it; with `lot`, also the lot its credit
   * creates (vested lots start net of any clawback debt), in the same round trip. The lot belongs to the transfer's
   * order unless `ofOrder` is false.
   */
  async transfer(input: TransferInput, lot?: { expiresAt: Date; vestsAt?: Date | null; ofOrder?: boolean }): Promise<TransferRow> {
    const { account, amount } = input;
    if (amount <= 0n) throw new Error(`transfer amount must be positive, got ${amount}`);
    const [row] = await runNamed<TransferRow>(this.tx, POST, [
      account.id,
      input.direction,
      input.bucket,
      input.kind,
      amount.toString(),
      input.counterparty,
      input.reference ?? null,
      input.reason ?? null,
      input.details ? JSON.stringify(input.details) : null,
      input.orderId ?? null,
      input.idempotencyKey ?? null,
      input.requestHash ?? null,
      input.expiresAt ?? null,
      lot?.expiresAt ?? null,
      lot?.vestsAt ?? null,
      lot?.ofOrder ?? true,
    ]);
    const sign = input.direction === 'CREDIT' ? 1n : -1n;
    if (input.bucket === TransferBucket.VEST) {
      account.pending -= amount;
      account.posted += amount;
    } else if (input.bucket === TransferBucket.PENDING) {
      account.pending += sign * amount;
    } else {
      account.posted += sign * amount;
    }
    return row;
  }

  /** Adds `delta` to the stored held balance (holds are reservations, not transfers). */
  async changeHeld(account: LockedAccount, delta: bigint): Promise<void> {
    if (delta === 0n) return;
    account.held += delta;
    await runNamed(this.tx, CHANGE_HELD, [delta.toString(), account.id]);
  }

  /**
   * What is left of `amount` vested points once a clawback debt is repaid: the account's vested lots always
   * hold exactly max(posted, 0), so points credited to an account in debt first pay the debt off.
   * Call after the transfer that credited them (account.posted already includes them).
   */
  spendableAfterDebt(account: LockedAccount, amount: bigint): bigint {
    const positive = account.posted > 0n ? account.posted : 0n;
    return amount < positive ? amount : positive;
  }

  /**
   * Draws up to `amount` points from the account's vested lots, soonest expiry first, in one statement
   * (only from one lot, or only from lots expired by a time, when asked).
   * Returns what it drew: less than `amount` only when the lots hold less (a balance in clawback debt).
   */
  async drawFromLots(account: LockedAccount, amount: bigint, only: { lotId?: string; expiredBy?: Date } = {}): Promise<bigint> {
    if (amount <= 0n) return 0n;
    const [row] = await runNamed<{ taken: string }>(this.tx, DRAW_FROM_LOTS, [account.id, amount.toString(), only.lotId ?? null, only.expiredBy ?? null]);
    return BigInt(row.taken);
  }

  /**
   * Freezes the points an order earned in this account (a payment dispute), under `reference`, once: the order's
   * vested points still earned (its lot net of refunds) move into `held`, at most what is available; its pending
   * lots stop vesting while the freeze lasts (see the ledger jobs). Returns the points held.
   */
  async freezeOrderPoints(account: LockedAccount, orderId: string, reference: string): Promise<bigint> {
    const [lot] = await this.tx.execute<{ vested: string | null }[]>(
      'select sum(amount - reversed) filter (where not pending) as vested from points_lots where account_id = ? and order_id = ?',
      [account.id, orderId],
    );
    const vested = BigInt(lot?.vested ?? 0);
    const available = account.posted - account.held;
    const points = vested < available ? vested : available > 0n ? available : 0n;
    const inserted = await this.tx.execute<{ id: string }[]>(
      `insert into points_freezes (member_id, account_id, currency, order_id, reference, points, status, created_at)
       values (?, ?, ?, ?, ?, ?, 'FROZEN', now()) on conflict (reference, currency) do nothing returning id`,
      [account.memberId, account.id, account.currency, orderId, reference, points.toString()],
    );
    if (inserted.length === 0) return 0n;
    if (points > 0n) await this.changeHeld(account, points);
    return points;
  }

  /** Ends a FROZEN freeze (RELEASED, or REVERSED before the order is refunded in full): its points leave `held`. */
  async unfreezeOrderPoints(account: LockedAccount, reference: string, outcome: FreezeStatus.RELEASED | FreezeStatus.REVERSED): Promise<bigint> {
    const [freeze] = await this.tx.execute<{ points: string }[]>(
      `update points_freezes set status = ?, resolved_at = now() where reference = ? and currency = ? and account_id = ? and status = 'FROZEN' returning points`,
      [outcome, reference, account.currency, account.id],
    );
    const points = BigInt(freeze?.points ?? 0);
    if (points > 0n) await this.changeHeld(account, -points);
    return points;
  }

  /** Lowers the order's FROZEN freezes in this account to at most `limit` points (a refund took some of the order back). */
  async capOrderFreezes(account: LockedAccount, orderId: string, limit: bigint): Promise<void> {
    const bound = limit > 0n ? limit : 0n;
    const freezes = await this.tx.execute<{ id: string; points: string }[]>(
      `select id, points from points_freezes where order_id = ? and account_id = ? and status = 'FROZEN' and points > ?`,
      [orderId, account.id, bound.toString()],
    );
    for (const freeze of freezes) {
      await this.tx.execute('update points_freezes set points = ? where id = ?', [bound.toString(), freeze.id]);
      await this.changeHeld(account, bound - BigInt(freeze.points));
    }
  }

}

function toLocked(row: LockedRow): LockedAccount {
  return {
    id: String(row.id),
    memberId: row.member_id,
    currency: row.currency,
    posted: BigInt(row.posted),
    pending: BigInt(row.pending),
    held: BigInt(row.held),
    expiredHolds: Number(row.expired_holds),
  };
}
