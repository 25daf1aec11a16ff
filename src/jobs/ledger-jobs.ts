import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Ledger } from '../modules/ledger/ledger';
import { LedgerEntryKind, TransferBucket } from '../modules/ledger/points-transfer.entity';
import { scheduleEvery } from './schedule';

/** Accounts handled per job run and kind of work; what is left waits for the next run. */
const BATCH = 500;

export interface LedgerJobsResult {
  holdsExpired: number;
  lotsVested: number;
  pointsExpired: bigint;
}

/**
 * Time-driven ledger work: expired holds give their points back, pending points vest after the return
 * window, and points past their expiry date expire. Safe with any number of replicas running it at once:
 * each finds candidate accounts without locking, then redoes the work for one account at a time under that
 * account's row lock, where a second runner finds nothing left to do.
 */
export async function runLedgerJobs(orm: MikroORM, now: Date = new Date()): Promise<LedgerJobsResult> {
  const em = orm.em.fork();
  return {
    holdsExpired: await expireHolds(em, now),
    lotsVested: await vestLots(em, now),
    pointsExpired: await expirePoints(em, now),
  };
}

async function dueAccounts(em: EntityManager, sql: string, now: Date): Promise<string[]> {
  const rows = await em.execute<{ account_id: string }[]>(sql, [now, BATCH]);
  return rows.map((row) => row.account_id);
}

async function expireHolds(em: EntityManager, now: Date): Promise<number> {
  let expired = 0;
  const accounts = await dueAccounts(em, "select distinct account_id from points_holds where status = 'HELD' and expires_at <= ? limit ?", now);
  for (const accountId of accounts) {
    expired += await em.transactional(async (tx) => {
      // Locking the account expires its due holds.
      return (await new Ledger(tx).lockAccountById(accountId, now)).expiredHolds;
    });
  }
  return expired;
}

/** Lots of an order whose points a payment dispute froze do not vest until the freeze ends. */
const NOT_FROZEN = `not exists (select 1 from points_freezes f where f.order_id = l.order_id and f.account_id = l.account_id and f.status = 'FROZEN')`;

async function vestLots(em: EntityManager, now: Date): Promise<number> {
  let vested = 0;
  const accounts = await dueAccounts(em, `select distinct account_id from points_lots l where pending and vests_at <= ? and ${NOT_FROZEN} limit ?`, now);
  for (const accountId of accounts) {
    vested += await em.transactional(async (tx) => {
      const ledger = new Ledger(tx);
      const account = await ledger.lockAccountById(accountId, now);
      const lots = await tx.execute<{ id: string; remaining: string; order_id: string | null; transfer_id: string }[]>(
        `select id, remaining, order_id, transfer_id from points_lots l where account_id = ? and pending and vests_at <= ? and ${NOT_FROZEN} order by id`,
        [accountId, now],
      );
      for (const lot of lots) {
        let remaining = BigInt(lot.remaining);
        if (remaining > 0n) {
          await ledger.transfer({
            account,
            direction: 'CREDIT',
            bucket: TransferBucket.VEST,
            kind: LedgerEntryKind.VEST,
            amount: remaining,
            counterparty: 'ISSUANCE',
            orderId: lot.order_id,
            reference: `transfer:${lot.transfer_id}`,
          });
          remaining = ledger.spendableAfterDebt(account, remaining);
        }
        await tx.execute('update points_lots set pending = false, remaining = ? where id = ?', [remaining.toString(), lot.id]);
      }
      return lots.length;
    });
  }
  return vested;
}

async function expirePoints(em: EntityManager, now: Date): Promise<bigint> {
  let expired = 0n;
  const accounts = await dueAccounts(em, 'select distinct account_id from points_lots where remaining > 0 and not pending and expires_at <= ? limit ?', now);
  for (const accountId of accounts) {
    expired += await em.transactional(async (tx) => {
      const ledger = new Ledger(tx);
      const account = await ledger.lockAccountById(accountId, now);
      const [{ due }] = await tx.execute<{ due: string | null }[]>(
        'select sum(remaining) as due from points_lots where account_id = ? and remaining > 0 and not pending and expires_at <= ?',
        [accountId, now],
      );
      // Points reserved by an open hold do not expire under it; they expire on a later run if it is released.
      const available = account.posted - account.held;
      const dueNow = BigInt(due ?? 0);
      const amount = dueNow < available ? dueNow : available;
      if (amount <= 0n) return 0n;
      await ledger.transfer({ account, direction: 'DEBIT', bucket: TransferBucket.POSTED, kind: LedgerEntryKind.EXPIRE, amount, counterparty: 'EXPIRY', reason: 'points expired' });
      await ledger.drawFromLots(account, amount, { expiredBy: now });
      return amount;
    });
  }
  return expired;
}

/** Runs the ledger jobs every `intervalSeconds` until stopped; failures are logged and retried next time. */
export function scheduleLedgerJobs(orm: MikroORM, intervalSeconds: number, onError: (error: unknown) => void): () => Promise<void> {
  return scheduleEvery(intervalSeconds, () => runLedgerJobs(orm), onError, 'ledger');
}
