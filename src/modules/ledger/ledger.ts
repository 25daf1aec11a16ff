import type { EntityManager } from '@mikro-orm/postgresql';
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
  /** Stored held, which includes HELD holds past expiry until they are swept (see sweepExpiredHolds). */
  held: bigint;
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

/**
 * The only code that moves points. Every method runs inside the caller's transaction (`tx`), after the
 * member account was locked with lockMemberAccount: lock, then check, then write; balances are updated in
 * the same transaction as the entries. A transaction that needs several accounts locks them in id order.
 */
export class Ledger {
  constructor(private readonly tx: EntityManager) {}

  /** Locks the member's account for `currency` (SELECT ... FOR UPDATE), creating it on first use. */
  async lockMemberAccount(memberId: string, currency: string): Promise<LockedAccount> {
    const lock = () =>
      this.tx.execute<{ id: string; posted: string; pending: string; held: string }[]>(
        'select id, posted, pending, held from points_accounts where member_id = ? and currency = ? for update',
        [memberId, currency],
      );
    let [row] = await lock();
    if (!row) {
      await this.tx.execute('insert into points_accounts (currency, member_id) values (?, ?) on conflict (member_id, currency) do nothing', [currency, memberId]);
      [row] = await lock();
    }
    return { id: row.id, memberId, currency, posted: BigInt(row.posted), pending: BigInt(row.pending), held: BigInt(row.held) };
  }

  /** Locks an existing member account by id (jobs find work first, then lock). */
  async lockAccountById(accountId: string): Promise<LockedAccount> {
    const [row] = await this.tx.execute<{ id: string; member_id: string; currency: string; posted: string; pending: string; held: string }[]>(
      'select id, member_id, currency, posted, pending, held from points_accounts where id = ? and member_id is not null for update',
      [accountId],
    );
    if (!row) throw new Error(`no member account ${accountId}`);
    return { id: row.id, memberId: row.member_id, currency: row.currency, posted: BigInt(row.posted), pending: BigInt(row.pending), held: BigInt(row.held) };
  }

  /**
   * The id of a system account, created on first use. System accounts are never locked.
   * Select, insert if missing, select again: each is its own statement, so the second select sees an account
   * that a concurrent transaction created and committed while our insert waited on it (one statement with a
   * CTE would read a snapshot from before that commit and find nothing).
   */
  async systemAccountId(code: SystemAccount, currency: string): Promise<string> {
    const select = 'select id from points_accounts where system_code = ? and currency = ?';
    const [existing] = await this.tx.execute<{ id: string }[]>(select, [code, currency]);
    if (existing) return existing.id;
    await this.tx.execute('insert into points_accounts (currency, system_code) values (?, ?) on conflict (system_code, currency) do nothing', [currency, code]);
    const [created] = await this.tx.execute<{ id: string }[]>(select, [code, currency]);
    return created.id;
  }

  /** Appends one transfer and updates the member account's balances with it. */
  async transfer(input: TransferInput): Promise<TransferRow> {
    const { account, amount } = input;
    if (amount <= 0n) throw new Error(`transfer amount must be positive, got ${amount}`);
    const systemId = await this.systemAccountId(input.counterparty, account.currency);
    let debit: string;
    let credit: string;
    if (input.bucket === TransferBucket.VEST) {
      debit = credit = account.id;
    } else if (input.direction === 'CREDIT') {
      [debit, credit] = [systemId, account.id];
    } else {
      [debit, credit] = [account.id, systemId];
    }
    const [row] = await this.tx.execute<TransferRow[]>(
      `insert into points_transfers
         (currency, kind, bucket, debit_account_id, credit_account_id, amount, member_id, idempotency_key, request_hash,
          order_id, reference, reason, details, expires_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
       returning *`,
      [
        account.currency,
        input.kind,
        input.bucket,
        debit,
        credit,
        amount.toString(),
        account.memberId,
        input.idempotencyKey ?? null,
        input.requestHash ?? null,
        input.orderId ?? null,
        input.reference ?? null,
        input.reason ?? null,
        input.details ? JSON.stringify(input.details) : null,
        input.expiresAt ?? null,
      ],
    );
    const sign = input.direction === 'CREDIT' ? 1n : -1n;
    if (input.bucket === TransferBucket.VEST) {
      account.pending -= amount;
      account.posted += amount;
    } else if (input.bucket === TransferBucket.PENDING) {
      account.pending += sign * amount;
    } else {
      account.posted += sign * amount;
    }
    await this.saveBalances(account);
    return row;
  }

  /** Adds `delta` to the stored held balance (holds are reservations, not transfers). */
  async changeHeld(account: LockedAccount, delta: bigint): Promise<void> {
    account.held += delta;
    await this.saveBalances(account);
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

  /** A lot for points just credited; spending and expiry draw on it. Vested lots start net of any debt. */
  async createLot(lot: {
    account: LockedAccount;
    transferId: string;
    amount: bigint;
    pending: boolean;
    vestsAt: Date | null;
    expiresAt: Date;
    orderId?: string | null;
  }): Promise<void> {
    await this.tx.execute(
      `insert into points_lots (account_id, member_id, currency, transfer_id, order_id, amount, remaining, reversed, pending, vests_at, expires_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, now())`,
      [
        lot.account.id,
        lot.account.memberId,
        lot.account.currency,
        lot.transferId,
        lot.orderId ?? null,
        lot.amount.toString(),
        (lot.pending ? lot.amount : this.spendableAfterDebt(lot.account, lot.amount)).toString(),
        lot.pending,
        lot.vestsAt,
        lot.expiresAt,
      ],
    );
  }

  /**
   * Draws up to `amount` points from the account's vested lots, soonest expiry first, in one statement
   * (only from one lot, or only from lots expired by a time, when asked).
   * Returns what it drew: less than `amount` only when the lots hold less (a balance in clawback debt).
   */
  async drawFromLots(account: LockedAccount, amount: bigint, only: { lotId?: string; expiredBy?: Date } = {}): Promise<bigint> {
    if (amount <= 0n) return 0n;
    const filters = [only.lotId ? 'and id = ?' : '', only.expiredBy ? 'and expires_at <= ?' : ''].join(' ');
    const filterValues = [...(only.lotId ? [only.lotId] : []), ...(only.expiredBy ? [only.expiredBy] : [])];
    const rows = await this.tx.execute<{ taken: string }[]>(
      `with ordered as (
         select id, remaining, sum(remaining) over (order by expires_at, id) - remaining as before
         from points_lots
         where account_id = ? and remaining > 0 and not pending ${filters}
       ), drawn as (
         select id, least(remaining, ? - before) as taken from ordered where before < ?
       )
       update points_lots l set remaining = l.remaining - drawn.taken from drawn where l.id = drawn.id
       returning drawn.taken`,
      [account.id, ...filterValues, amount.toString(), amount.toString()],
    );
    return rows.reduce((sum, row) => sum + BigInt(row.taken), 0n);
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

  private async saveBalances(account: LockedAccount): Promise<void> {
    await this.tx.execute('update points_accounts set posted = ?, pending = ?, held = ? where id = ?', [
      account.posted.toString(),
      account.pending.toString(),
      account.held.toString(),
      account.id,
    ]);
  }
}
