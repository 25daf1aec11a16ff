import type { EntityManager } from '@mikro-orm/postgresql';
import type { Ledger, LockedAccount } from '../ledger/ledger';

/**
 * Marks the account's HELD holds that are past expiry as EXPIRED and gives their points back, under the
 * account lock the caller holds. Every path that looks at a locked account's held points calls this first,
 * so an expired hold never counts as held, whether or not the expiry job has run.
 */
export async function expireDueHolds(tx: EntityManager, ledger: Ledger, account: LockedAccount, now: Date): Promise<number> {
  const expired = await tx.execute<{ points: string }[]>(
    `update points_holds set status = 'EXPIRED', resolved_at = ? where account_id = ? and status = 'HELD' and expires_at <= ? returning points`,
    [now, account.id, now],
  );
  const points = expired.reduce((sum, row) => sum + BigInt(row.points), 0n);
  if (points > 0n) await ledger.changeHeld(account, -points);
  return expired.length;
}
