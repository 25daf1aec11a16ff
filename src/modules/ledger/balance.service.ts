import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestScope } from '../../graphql/context';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { BadUserInputError } from '../../errors';
import { readBalances } from '../status/member-status';
import { LedgerEntryKind } from './points-transfer.entity';

/** A member's balance in one points currency, as clients see it. */
export interface Balance {
  currency: string;
  posted: bigint;
  pending: bigint;
  /** Points in HELD holds that have not expired (expired ones never count, even before the job sweeps them). */
  held: bigint;
  expiringSoon: bigint;
  nextExpiry: Date | null;
}

/** One ledger entry from the member's side. */
export interface LedgerEntryView {
  id: string;
  currency: string;
  /** + earned, - spent. */
  points: bigint;
  kind: LedgerEntryKind;
  reference: string | null;
  reason: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  /** For earnings: the earning rules that applied (tier, campaigns). */
  rules: { code: string; multiplier?: string; bonusPoints?: number }[];
}

export const EXPIRING_SOON_DAYS = 30;

export function emptyBalance(currency: string): Balance {
  return { currency, posted: 0n, pending: 0n, held: 0n, expiringSoon: 0n, nextExpiry: null };
}

/** Reads balances and ledger entries (no locks: reads never block points moving). */
export class BalanceService {
  /** One balance, by the member-status read (src/modules/status; requests get it through their status loader). */
  async balanceOf(scope: RequestScope, memberId: string, currency: string): Promise<Balance> {
    return (await readBalances(scope.em, memberId)).find((balance) => balance.currency === currency) ?? emptyBalance(currency);
  }

  /** The member's entries, newest first, optionally in one currency. */
  async entriesOf(scope: RequestScope, memberId: string, currency: string | null, page: PageRequest): Promise<Connection<LedgerEntryView>> {
    if (page.after && !/^\d+$/.test(page.after)) throw new BadUserInputError('after', 'is not a cursor this API returned');
    const rows = await scope.em.execute<
      {
        id: string;
        currency: string;
        amount: string;
        credited: boolean;
        kind: LedgerEntryKind;
        reference: string | null;
        reason: string | null;
        created_at: Date;
        expires_at: Date | null;
        details: { rules?: LedgerEntryView['rules'] } | null;
      }[]
    >(
      `select t.id, t.currency, t.amount, (t.bucket = 'VEST' or c.member_id is not null) as credited, t.kind, t.reference, t.reason,
              t.created_at, t.expires_at, t.details
       from points_transfers t join points_accounts c on c.id = t.credit_account_id
       where t.member_id = ? ${currency ? 'and t.currency = ?' : ''} ${page.after ? 'and t.id < ?' : ''}
       order by t.id desc limit ?`,
      [memberId, ...(currency ? [currency] : []), ...(page.after ? [page.after] : []), page.first + 1],
    );
    const entries = rows.map((row) => ({
      id: row.id,
      currency: row.currency,
      points: row.credited ? BigInt(row.amount) : -BigInt(row.amount),
      kind: row.kind,
      reference: row.reference,
      reason: row.reason,
      createdAt: new Date(row.created_at),
      expiresAt: row.expires_at ? new Date(row.expires_at) : null,
      rules: row.details?.rules ?? [],
    }));
    return toConnection(entries, page, (entry) => entry.id);
  }

}
