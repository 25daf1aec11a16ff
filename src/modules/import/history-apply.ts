import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config';
import { runNamed } from '../../db/sql';
import { requestHash } from '../../idempotency';
import { minorUnitDigits } from '../../money/currency';
import { netBaseAmountSql, ORDER_CONTEXT } from '../orders/order.sql';
import { campaignRuleOf, CampaignRuleRow } from '../orders/earning';
import { parseDecimal } from '../../money/decimal';
import { qualifyReferralOfReferee } from '../referrals/referral-qualification';
import { LadderRow, ladderTierOf, windowStart } from '../tiers/tier.service';
import { enqueueTierChanges } from '../webhooks/events';
import { BulkRows, Field, isEmbedded, RawConnection, withRawConnection } from './history-bulk';
import { HistoryOrder, MemberReplay, MemberStanding, PreparedProgramme, prepareProgramme, replayMember, settleAccount } from './history-replay';

/*
 * The history import's apply step: one chunk of staged orders (history_import_orders, a range of member external ids)
 * becomes, in one transaction, the same rows that recording the chunk's new orders one by one through recordOrder,
 * each followed by refundOrder of its refunded amount, would write (the rule: README, "Importing history").
 *   1. The chunk's staged rows are read with their member and any order already stored under their external id:
 *      unknown members are rejected, known orders counted as present (same request hash) or rejected (other data).
 *      The new orders get their ids (uuidv7) in the order the chunk writes them.
 *   2. The members' tier rows are created (lowest tier) or locked in member id order, the lock recordOrder takes
 *      first (a row this transaction inserts is its own until the commit: a concurrent recordOrder waits on its key);
 *      then their stored state is read: qualifying spend and earliest order.
 *   3. Each member's orders are replayed in process (history-replay.ts: evaluateEarning, the tier policy, the lot
 *      rules). The accounts that earn are created (empty) or locked in (member, currency) order with their due holds
 *      expired (as ledger_lock_account does); each account's lots are settled on its posted balance. A deadlock with
 *      another transaction locking these accounts (a referral job) rolls the chunk back for another try.
 *   4. The rows are written set-based, COPY where the server serves it (multi-row inserts on the embedded database):
 *      transfers (ids taken from their sequence, so that lots can name them; the system accounts they name exist
 *      already: loadApplySettings creates them before any chunk), lots, refunds, tier changes, then one
 *      update of balances and of tier rows, the member.tier_changed events, and the orders last (their growth-rollup
 *      trigger takes row locks that two chunks on two connections share: held from there to the commit only).
 *   5. A referee's PENDING referral is qualified once per member when one of its orders vested at once (recordOrder
 *      does it at the first such order; the qualifying order it picks is the same unless a later refund in the same
 *      history changes which order reaches the minimum).
 * Not replayed: audit rows (recordOrder audits staff callers only; the import is not one).
 * Chunks hold disjoint members, so two can be applied at once on two connections.
 */

export interface ChunkRange {
  /** Exclusive lower bound of member_external_id (null: from the start). */
  after: string | null;
  /** Inclusive upper bound. */
  upTo: string;
}

export interface ChunkOutcome {
  inserted: number;
  alreadyPresent: number;
  rejected: { line: number; reason: string }[];
  tierChanges: number;
  transfers: number;
  /** Milliseconds per step of the chunk (for the bench): read, lock, replay, accounts, ledger rows, orders, referrals. */
  phases: Record<string, number>;
}

/** What every chunk of one import shares: loaded once, as recordOrder reads it. */
export interface ApplySettings {
  importId: string;
  now: Date;
  /** The whole Config: referral qualification reads its referral rules. */
  config: Config;
  /** Null for history only (no points, no tiers). */
  programme: PreparedProgramme | null;
}

interface OrderContextRow {
  ladder: LadderRow[];
  rules: CampaignRuleRow[];
  currencies: { code: string; earnRate: string; expiryMonths: number }[];
}

/** The ladder, the active campaign rules and the earning currencies, read with recordOrder's own statement. */
export async function loadApplySettings(em: EntityManager, importId: string, now: Date, config: Config, earn: boolean): Promise<ApplySettings> {
  if (!earn) return { importId, now, config, programme: null };
  const [context] = await runNamed<OrderContextRow>(em, ORDER_CONTEXT, [
    '00000000-0000-0000-0000-000000000000', windowStart(now, config), now, now, config.baseCurrency, config.baseCurrency,
  ]);
  const programme = prepareProgramme({
    now,
    baseDigits: minorUnitDigits(config.baseCurrency)!,
    baseCurrency: config.baseCurrency,
    returnWindowDays: config.returnWindowDays,
    windowStart: windowStart(now, config),
    tierWindowMonths: config.tierWindowMonths,
    tierRetentionMonths: config.tierRetentionMonths,
    ladder: context.ladder.map(ladderTierOf),
    rules: context.rules.map(campaignRuleOf),
    currencies: context.currencies.map((currency) => ({ code: currency.code, earnRate: parseDecimal(currency.earnRate, 'earnRate', { allowZero: true }), expiryMonths: currency.expiryMonths })),
  });
  // The system accounts the chunks' transfers name, created and committed before any chunk: created inside a chunk's
  // transaction, the first account would hold every other chunk on its key until that chunk's commit (the first two
  // chunks of an import into a new programme ran one after the other). REVERSAL only when the history has refunds.
  await em.execute(
    `select ledger_system_account('ISSUANCE', code), case when exists (select 1 from history_import_orders where import_id = ? and refunded_minor > 0)
                                                     then ledger_system_account('REVERSAL', code) end
     from unnest(array[?]::text[]) code`,
    [importId, programme.programme.currencies.map((currency) => currency.code)],
  );
  return { importId, now, config, programme };
}

const ORDER_COLUMNS = [
  'id', 'member_id', 'external_id', 'amount_minor', 'currency', 'base_amount_minor', 'base_currency', 'fx_rate', 'placed_at', 'refunded_minor', 'status',
  'points_earned', 'details', 'request_hash', 'created_at',
] as const;
const TRANSFER_COLUMNS = [
  'id', 'currency', 'kind', 'bucket', 'debit_account_id', 'credit_account_id', 'amount', 'member_id', 'order_id', 'reference', 'reason', 'details', 'expires_at', 'created_at',
] as const;
const LOT_COLUMNS = ['account_id', 'member_id', 'currency', 'transfer_id', 'order_id', 'amount', 'remaining', 'reversed', 'pending', 'vests_at', 'expires_at', 'created_at'] as const;
const REFUND_COLUMNS = ['order_id', 'member_id', 'refund_id', 'amount_minor', 'request_hash', 'created_at'] as const;
const TIER_CHANGE_COLUMNS = ['member_id', 'from_tier', 'to_tier', 'reason', 'qualifying_spend_minor', 'changed_at'] as const;

interface ChunkMember {
  memberId: string;
  country: string;
  orders: HistoryOrder[];
}

const rowsOf = async (connection: RawConnection, text: string, values: unknown[] = []): Promise<any[][]> =>
  (await connection.query({ text, values, rowMode: 'array' })).rows;

/**
 * Step 1: the chunk's staged rows; rows of unknown members and known orders are counted and left out. Members in
 * member id order.
 */
async function readChunk(connection: RawConnection, importId: string, range: ChunkRange, outcome: ChunkOutcome): Promise<ChunkMember[]> {
  const rows = await rowsOf(
    connection,
    `select s.line, s.external_id, s.member_external_id, m.id, m.country, s.amount_minor, s.currency, s.base_amount_minor, s.fx_rate,
            (extract(epoch from s.placed_at) * 1000)::bigint, s.refunded_minor, s.refund_hash, o.request_hash
     from history_import_orders s
     left join members m on m.external_id = s.member_external_id and m.status <> 'ERASED'
     left join orders o on o.external_id = s.external_id
     where s.import_id = $1 and ($2::text is null or s.member_external_id > $2) and s.member_external_id <= $3`,
    [importId, range.after, range.upTo],
  );
  const members = new Map<string, ChunkMember>();
  for (const [line, externalId, memberExternalId, memberId, country, amount, currency, base, fxRate, placedMs, refunded, refundHash, existingHash] of rows) {
    if (memberId === null) {
      outcome.rejected.push({ line, reason: `unknown member ${memberExternalId}` });
      continue;
    }
    const amountMinor = BigInt(amount);
    const placedAt = new Date(Number(placedMs));
    // The hash recordOrder stores for the same order (so that recording it later through the API is a replay).
    const hash = requestHash([memberId, externalId, amountMinor, currency, placedAt]);
    if (existingHash !== null) {
      if (existingHash === hash) outcome.alreadyPresent += 1;
      else outcome.rejected.push({ line, reason: `external_id ${externalId} is already present with other data` });
      continue;
    }
    let member = members.get(memberId);
    if (!member) members.set(memberId, (member = { memberId, country, orders: [] }));
    member.orders.push({
      line, id: '', externalId, amountMinor, currency, baseAmountMinor: BigInt(base), fxRate, placedAt, refundedMinor: BigInt(refunded), refundHash, requestHash: hash,
    });
  }
  const sorted = [...members.values()].sort((left, right) => (left.memberId < right.memberId ? -1 : left.memberId > right.memberId ? 1 : 0));
  // Order ids in the order the rows are written (uuidv7 rises): the orders' key and the order_id indexes of
  // transfers, lots and refunds then take them at their right edge instead of all over the index.
  for (const member of sorted) for (const order of member.orders) order.id = uuidv7();
  return sorted;
}

/** Applies one chunk in the caller's transaction (see the top of this file). */
export async function applyHistoryChunk(tx: EntityManager, settings: ApplySettings, range: ChunkRange): Promise<ChunkOutcome> {
  return withRawConnection(tx, async (connection) => {
    const outcome: ChunkOutcome = { inserted: 0, alreadyPresent: 0, rejected: [], tierChanges: 0, transfers: 0, phases: {} };
    let mark = performance.now();
    const phase = (name: string) => {
      const at = performance.now();
      outcome.phases[name] = (outcome.phases[name] ?? 0) + (at - mark);
      mark = at;
    };
    const embedded = isEmbedded(connection);
    // A chunk lost in a crash before its commit reached the disk is applied again by a re-run: the import does not wait for the flush.
    // No JIT: the chunk's statements (and the growth-rollup trigger's, over 50,000 orders) are planned with costs
    // high enough to compile, which took longer than running them (0.3 to 1 s a statement here).
    if (!embedded) await connection.query({ text: "set local synchronous_commit = off; set local work_mem = '64MB'; set local jit = off" });
    const members = await readChunk(connection, settings.importId, range, outcome);
    phase('read');
    if (members.length === 0) return outcome;
    const [[createdAt]] = await rowsOf(connection, 'select now()::text');
    const bulk = (table: string, columns: readonly string[], freeText: string[] = []) => new BulkRows(table, columns, embedded, freeText);
    const orders = bulk('orders', ORDER_COLUMNS, ['external_id', 'fx_rate', 'details']);
    const { programme } = settings;
    const base = settings.config.baseCurrency;
    const orderRow = (memberId: string, order: HistoryOrder, status: string, points: string, details: string): Field[] => [
      order.id, memberId, order.externalId, order.amountMinor.toString(), order.currency, order.baseAmountMinor.toString(), base, order.fxRate,
      order.placedAt.toISOString(), order.refundedMinor.toString(), status, points, details, order.requestHash, createdAt,
    ];

    if (!programme) {
      // History only: the orders earning nothing (no ledger rows, no tier replay).
      for (const member of members) {
        for (const order of member.orders) {
          const status = order.refundedMinor === 0n ? 'PAID' : order.refundedMinor === order.amountMinor ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
          orders.add(orderRow(member.memberId, order, status, '0', '{"imported": true}'));
        }
      }
      await orders.write(connection);
      outcome.inserted = orders.count;
      phase('orders');
      return outcome;
    }

    // Step 2: tier rows created and locked (recordOrder's first lock), then the members' stored state.
    const { now } = settings;
    const memberIds = members.map((member) => member.memberId);
    // Rows this transaction inserts are its own until it commits (a concurrent recordOrder waits on their key); the
    // others are locked.
    const lowest = programme.programme.ladder[0].code;
    const tiers = new Map<string, { tierCode: string; retainUntil: Date | null }>();
    for (const [memberId] of await rowsOf(
      connection,
      `insert into member_tiers (member_id, tier_code, reached_at, retain_until)
       select m, $2, $3::timestamptz, null from unnest($1::uuid[]) m order by m on conflict (member_id) do nothing returning member_id`,
      [memberIds, lowest, now],
    )) {
      tiers.set(memberId, { tierCode: lowest, retainUntil: null });
    }
    const known = memberIds.filter((memberId) => !tiers.has(memberId));
    if (known.length > 0) {
      for (const [memberId, tierCode, retainMs] of await rowsOf(
        connection,
        `select member_id, tier_code, (extract(epoch from retain_until) * 1000)::bigint from member_tiers where member_id = any($1::uuid[]) order by member_id for update`,
        [known],
      )) {
        tiers.set(memberId, { tierCode, retainUntil: retainMs === null ? null : new Date(Number(retainMs)) });
      }
    }
    const stored = new Map<string, { firstMs: number; spend: bigint }>();
    for (const [memberId, firstMs, spend] of await rowsOf(
      connection,
      `select o.member_id, (extract(epoch from min(o.placed_at)) * 1000)::bigint,
              coalesce(sum(${netBaseAmountSql('o')}) filter (where o.placed_at > $2 and o.placed_at <= $3), 0)::text
       from orders o where o.member_id = any($1::uuid[]) group by o.member_id`,
      [memberIds, programme.programme.windowStart, now],
    )) {
      stored.set(memberId, { firstMs: Number(firstMs), spend: BigInt(spend) });
    }

    phase('lock');
    // Step 3: the replay, then the accounts that earn, locked, and their lots settled.
    const replays: { member: ChunkMember; replay: MemberReplay }[] = [];
    const accountKeys: { memberId: string; currency: string }[] = [];
    for (const member of members) {
      const tier = tiers.get(member.memberId)!;
      const before = stored.get(member.memberId);
      const standing: MemberStanding = {
        memberId: member.memberId, country: member.country, tierCode: tier.tierCode, retainUntil: tier.retainUntil,
        spendMinor: before?.spend ?? 0n, firstPlacedAtMs: before ? before.firstMs : null,
      };
      const replay = replayMember(programme, standing, member.orders);
      replays.push({ member, replay });
      const currencies = [...new Set(replay.earns.map((earn) => earn.currency))].sort();
      for (const currency of currencies) accountKeys.push({ memberId: member.memberId, currency });
    }
    phase('replay');
    const accounts = new Map<string, { id: string; posted: bigint }>();
    if (accountKeys.length > 0) {
      const keyValues = [accountKeys.map((key) => key.memberId), accountKeys.map((key) => key.currency)];
      // New accounts start empty (and hold nothing to expire); existing ones are locked and read.
      for (const [id, memberId, currency] of await rowsOf(
        connection,
        `insert into points_accounts (currency, member_id) select c, m from unnest($1::uuid[], $2::text[]) x(m, c) order by m, c
         on conflict on constraint points_accounts_member_id_currency_unique do nothing returning id::text, member_id, currency`,
        keyValues,
      )) {
        accounts.set(`${memberId}/${currency}`, { id, posted: 0n });
      }
      const existing = accountKeys.filter((key) => !accounts.has(`${key.memberId}/${key.currency}`));
      if (existing.length > 0) {
        const locked: string[] = [];
        for (const [id, memberId, currency, posted] of await rowsOf(
          connection,
          `select a.id::text, a.member_id, a.currency, a.posted::text from points_accounts a join unnest($1::uuid[], $2::text[]) x(m, c) on a.member_id = x.m and a.currency = x.c
           order by a.member_id, a.currency for update of a`,
          [existing.map((key) => key.memberId), existing.map((key) => key.currency)],
        )) {
          accounts.set(`${memberId}/${currency}`, { id, posted: BigInt(posted) });
          locked.push(id);
        }
        // Locking an account expires its due holds (ledger_lock_account).
        await connection.query({
          text: `with expired as (
                   update points_holds h set status = 'EXPIRED', resolved_at = $2
                   where h.status = 'HELD' and h.expires_at <= $2 and h.account_id = any($1::bigint[])
                   returning h.account_id, h.points
                 ) update points_accounts a set held = a.held - x.points from (select account_id, sum(points) as points from expired group by account_id) x where a.id = x.account_id`,
          values: [locked, now],
        });
      }
    }
    phase('accounts');
    // Step 4: the rows.
    const currencies = programme.programme.currencies.map((currency) => currency.code);
    // The system accounts the transfers name (created on first use, as ledger_post does).
    const earning = new Set<string>();
    const reversing = new Set<string>();
    for (const { replay } of replays) {
      for (const earn of replay.earns) {
        earning.add(earn.currency);
        if (earn.clawback > 0n) reversing.add(earn.currency);
      }
    }
    const system = new Map<string, { issuance: string; reversal: string | null }>();
    for (const [currency, issuance, reversal] of await rowsOf(
      connection,
      `select code, ledger_system_account('ISSUANCE', code)::text, case when code = any($2::text[]) then ledger_system_account('REVERSAL', code)::text end
       from unnest($1::text[]) code`,
      [[...earning], [...reversing]],
    )) {
      system.set(currency, { issuance, reversal });
    }
    let transferCount = 0;
    for (const { replay } of replays) for (const earn of replay.earns) transferCount += earn.clawback > 0n ? 2 : 1;
    const transferIds: string[] = transferCount === 0 ? [] : (await rowsOf(connection, "select nextval('points_transfers_id_seq')::text from generate_series(1, $1)", [transferCount])).map((row) => row[0]);
    let nextTransfer = 0;
    const transfers = bulk('points_transfers', TRANSFER_COLUMNS, ['reference', 'reason', 'details']);
    const lots = bulk('points_lots', LOT_COLUMNS);
    const refunds = bulk('order_refunds', REFUND_COLUMNS, ['refund_id']);
    const tierChanges = bulk('member_tier_changes', TIER_CHANGE_COLUMNS, ['from_tier', 'to_tier']);
    const balances: { id: string; posted: bigint; pending: bigint }[] = [];
    const tierRows: { memberId: string; code: string; retainUntil: Date }[] = [];
    const tierEvents: { memberId: string; from: string; to: string }[] = [];
    const nowText = now.toISOString();
    const vestedMembers: string[] = [];
    for (const { member, replay } of replays) {
      const { memberId } = member;
      // Lots and balances per account, in recording order.
      const settledByEarn = new Map<(typeof replay.earns)[number], ReturnType<typeof settleAccount>['settled'][number]>();
      for (const currency of currencies) {
        const earns = replay.earns.filter((earn) => earn.currency === currency);
        if (earns.length === 0) continue;
        const account = accounts.get(`${memberId}/${currency}`)!;
        const { settled, posted, pending } = settleAccount(earns, account.posted);
        earns.forEach((earn, index) => settledByEarn.set(earn, settled[index]));
        balances.push({ id: account.id, posted, pending });
      }
      let earnIndex = 0;
      for (const { order, status, pointsEarned, details } of replay.orders) {
        orders.add(orderRow(memberId, order, status, pointsEarned.toString(), JSON.stringify(details)));
        const start = earnIndex;
        while (earnIndex < replay.earns.length && replay.earns[earnIndex].order === order) earnIndex++;
        const earns = replay.earns.slice(start, earnIndex);
        // recordOrder: each currency's EARN with its lot; then refundOrder: each lot's REVERSAL.
        for (const earn of earns) {
          const account = accounts.get(`${memberId}/${earn.currency}`)!;
          const settled = settledByEarn.get(earn)!;
          const transferId = transferIds[nextTransfer++];
          const expiresAt = earn.expiresAt.toISOString();
          transfers.add([
            transferId, earn.currency, 'EARN', earn.pending ? 'PENDING' : 'POSTED', system.get(earn.currency)!.issuance, account.id, earn.points.toString(), memberId, order.id,
            `order:${order.externalId}`, null, JSON.stringify({ rules: earn.rules }), expiresAt, createdAt,
          ]);
          lots.add([
            account.id, memberId, earn.currency, transferId, order.id, earn.points.toString(), settled.remaining.toString(), earn.clawback.toString(),
            earn.pending ? 't' : 'f', earn.vestsAt ? earn.vestsAt.toISOString() : null, expiresAt, createdAt,
          ]);
        }
        for (const earn of earns) {
          if (earn.clawback <= 0n) continue;
          const account = accounts.get(`${memberId}/${earn.currency}`)!;
          transfers.add([
            transferIds[nextTransfer++], earn.currency, 'REVERSAL', earn.pending ? 'PENDING' : 'POSTED', account.id, system.get(earn.currency)!.reversal!, earn.clawback.toString(),
            memberId, order.id, `refund:history:${order.externalId}`, `refund of order ${order.externalId}`, null, null, createdAt,
          ]);
        }
        if (order.refundedMinor > 0n) refunds.add([order.id, memberId, `history:${order.externalId}`, order.refundedMinor.toString(), order.refundHash, createdAt]);
      }
      for (const change of replay.tierChanges) {
        tierChanges.add([memberId, change.fromTier, change.toTier, 'UPGRADE', change.spendMinor.toString(), nowText]);
        tierEvents.push({ memberId, from: change.fromTier, to: change.toTier });
      }
      if (replay.tierAfter) tierRows.push({ memberId, code: replay.tierAfter.code, retainUntil: replay.tierAfter.retainUntil });
      if (replay.vestedAtOnce) vestedMembers.push(memberId);
    }
    phase('build');
    for (const rows of [transfers, lots, refunds, tierChanges]) await rows.write(connection);
    phase('ledger');
    if (balances.length > 0) {
      await connection.query({
        text: `update points_accounts a set posted = a.posted + x.posted, pending = a.pending + x.pending
               from unnest($1::bigint[], $2::bigint[], $3::bigint[]) x(id, posted, pending) where a.id = x.id`,
        values: [balances.map((b) => b.id), balances.map((b) => b.posted.toString()), balances.map((b) => b.pending.toString())],
      });
    }
    if (tierRows.length > 0) {
      // As applyTierDecisions leaves the row after the member's last upgrade.
      await connection.query({
        text: `update member_tiers mt set tier_code = x.code, reached_at = case when mt.tier_code = x.code then mt.reached_at else $4::timestamptz end, retain_until = x.retain_until
               from unnest($1::uuid[], $2::text[], $3::timestamptz[]) x(member_id, code, retain_until) where mt.member_id = x.member_id`,
        values: [tierRows.map((row) => row.memberId), tierRows.map((row) => row.code), tierRows.map((row) => row.retainUntil), now],
      });
      await enqueueTierChanges(tx, tierEvents, now);
    }
    phase('tiers');
    await orders.write(connection);
    phase('orders');
    outcome.inserted = orders.count;
    outcome.transfers = transfers.count;
    outcome.tierChanges = tierChanges.count;

    // Step 5: referees whose history vested at once qualify their PENDING referral now.
    if (vestedMembers.length > 0) {
      const referees = await rowsOf(connection, "select member_id from referrals where status = 'PENDING' and member_id = any($1::uuid[]) order by member_id", [vestedMembers]);
      for (const [memberId] of referees) await qualifyReferralOfReferee(tx, settings.config, memberId, now);
    }
    phase('referrals');
    return outcome;
  });
}
