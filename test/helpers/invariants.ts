import type { MikroORM } from '@mikro-orm/postgresql';

export interface InvariantViolations {
  /** 1. Per points currency, all balances (member counters plus system balances from entries) sum to zero. */
  unbalancedCurrencies: { currency: string; total: string }[];
  /** 2. Members with a negative available balance not explained by a refund clawback. */
  negativeWithoutClawback: { memberId: string; currency: string; available: string }[];
  /** 3. Idempotency keys or external ids with more than one effect. */
  duplicateEffects: string[];
  /** 4. Member balances that differ from the sum of their entries (posted, pending) or their holds and dispute freezes (held). */
  balancesOffEntries: { accountId: string; column: string; stored: string; fromEntries: string }[];
  /** Lots: what is left in a member's vested and pending lots must match the member's positive balances. */
  lotsOffBalances: { accountId: string; bucket: string; balance: string; lots: string }[];
}

/**
 * Checks DESIGN §3's ledger invariants on the whole database, after a concurrent run.
 * Returns every violation (empty arrays when all hold), so a failing test shows what is wrong.
 */
export async function checkLedgerInvariants(orm: MikroORM): Promise<InvariantViolations> {
  const em = orm.em.fork();
  const entriesPerAccount = `
    select a.id, a.currency, a.member_id, a.posted, a.pending, a.held,
      coalesce((select sum(case
          when t.bucket = 'VEST' then t.amount
          when t.bucket = 'POSTED' and t.credit_account_id = a.id then t.amount
          when t.bucket = 'POSTED' and t.debit_account_id = a.id then -t.amount else 0 end)
        from points_transfers t where t.credit_account_id = a.id or t.debit_account_id = a.id), 0) as posted_entries,
      coalesce((select sum(case
          when t.bucket = 'VEST' then -t.amount
          when t.bucket = 'PENDING' and t.credit_account_id = a.id then t.amount
          when t.bucket = 'PENDING' and t.debit_account_id = a.id then -t.amount else 0 end)
        from points_transfers t where t.credit_account_id = a.id or t.debit_account_id = a.id), 0) as pending_entries,
      coalesce((select sum(points) from points_holds h where h.account_id = a.id and h.status = 'HELD'), 0)
        + coalesce((select sum(points) from points_freezes f where f.account_id = a.id and f.status = 'FROZEN'), 0) as held_holds
    from points_accounts a`;
  const accounts = await em.execute<
    { id: string; currency: string; member_id: string | null; posted: string; pending: string; held: string; posted_entries: string; pending_entries: string; held_holds: string }[]
  >(entriesPerAccount);

  const totals = new Map<string, bigint>();
  const balancesOffEntries: InvariantViolations['balancesOffEntries'] = [];
  for (const account of accounts) {
    const isMember = account.member_id !== null;
    // System accounts keep no counters: their balance is their entries.
    const posted = isMember ? BigInt(account.posted) : BigInt(account.posted_entries);
    const pending = isMember ? BigInt(account.pending) : BigInt(account.pending_entries);
    totals.set(account.currency, (totals.get(account.currency) ?? 0n) + posted + pending);
    if (!isMember) continue;
    for (const [column, stored, fromEntries] of [
      ['posted', account.posted, account.posted_entries],
      ['pending', account.pending, account.pending_entries],
      ['held', account.held, account.held_holds],
    ] as const) {
      if (BigInt(stored) !== BigInt(fromEntries)) balancesOffEntries.push({ accountId: account.id, column, stored, fromEntries });
    }
  }
  const unbalancedCurrencies = [...totals].filter(([, total]) => total !== 0n).map(([currency, total]) => ({ currency, total: total.toString() }));

  const negative = await em.execute<{ member_id: string; currency: string; available: string }[]>(
    `select a.member_id, a.currency, (a.posted - a.held)::text as available from points_accounts a
     where a.member_id is not null and a.posted - a.held < 0
       and not exists (select 1 from points_transfers t where t.debit_account_id = a.id and t.kind = 'REVERSAL' and t.bucket = 'POSTED')`,
  );

  const duplicates = await em.execute<{ what: string }[]>(
    `select 'transfer idempotency key ' || idempotency_key as what from points_transfers where idempotency_key is not null group by idempotency_key having count(*) > 1
     union all select 'earn for order ' || order_id from points_transfers where kind = 'EARN' group by order_id, currency having count(*) > 1
     union all select 'capture of hold ' || reference from points_transfers where kind = 'REDEEM' group by reference having count(*) > 1
     union all select 'reversal for refund ' || reference || ' ' || bucket from points_transfers where kind = 'REVERSAL' group by reference, bucket, currency having count(*) > 1`,
  );

  const lots = await em.execute<{ id: string; posted: string; pending: string; vested_lots: string; pending_lots: string }[]>(
    `select a.id, a.posted, a.pending,
       coalesce((select sum(remaining) from points_lots l where l.account_id = a.id and not l.pending), 0) as vested_lots,
       coalesce((select sum(remaining) from points_lots l where l.account_id = a.id and l.pending), 0) as pending_lots
     from points_accounts a where a.member_id is not null`,
  );
  const lotsOffBalances: InvariantViolations['lotsOffBalances'] = [];
  for (const row of lots) {
    const posted = BigInt(row.posted);
    // A balance in clawback debt has no lots left; otherwise the lots hold exactly the balance.
    const expectedVested = posted > 0n ? posted : 0n;
    if (BigInt(row.vested_lots) !== expectedVested) lotsOffBalances.push({ accountId: row.id, bucket: 'posted', balance: row.posted, lots: row.vested_lots });
    if (BigInt(row.pending_lots) !== BigInt(row.pending)) lotsOffBalances.push({ accountId: row.id, bucket: 'pending', balance: row.pending, lots: row.pending_lots });
  }

  return {
    unbalancedCurrencies,
    negativeWithoutClawback: negative.map((row) => ({ memberId: row.member_id, currency: row.currency, available: row.available })),
    duplicateEffects: duplicates.map((row) => row.what),
    balancesOffEntries,
    lotsOffBalances,
  };
}

export const NO_VIOLATIONS: InvariantViolations = {
  unbalancedCurrencies: [],
  negativeWithoutClawback: [],
  duplicateEffects: [],
  balancesOffEntries: [],
  lotsOffBalances: [],
};
