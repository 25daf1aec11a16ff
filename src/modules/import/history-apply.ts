import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config';
import { minorUnitDigits } from '../../money/currency';
import { formatDecimal, parseDecimal } from '../../money/decimal';
import { earningCurrencies } from '../ledger/points-currency.service';
import { netBaseAmountSql } from '../orders/order.sql';
import { EarningRule } from '../orders/earning-rule.entity';
import { qualifyReferralOfReferee } from '../referrals/referral-qualification';
import { retainUntilFrom, windowStart } from '../tiers/tier.service';
import { enqueueEventsFrom } from '../webhooks/outbox';

/*
 * The history import's earn rules, set-based: one chunk of staged orders (history_import_orders, a range of member
 * external ids) becomes the same rows that recording the chunk's new orders one by one through recordOrder, each
 * followed by refundOrder of its refunded amount, would write. The replay order is per member by (placed_at,
 * external_id); every order is recorded "now" (the import's clock):
 *   - base amount converted at placed_at (done when staging), the cap checked (idem);
 *   - first order: no order of the member placed at or before it (stored, or earlier in the replay);
 *   - tier: before each order the member is upgraded when its qualifying spend (orders placed in (now - window, now],
 *     net of refunds, this order still gross as its refund comes after it) reaches a higher tier; never down;
 *     the order earns at the multiplier of the tier then held; each upgrade writes member_tiers, a
 *     member_tier_changes row and a member.tier_changed event as applyTierDecisions does;
 *   - points per earning currency: floor(base x earn rate x tier multiplier x best campaign multiplier) + bonuses
 *     (evaluateEarning in SQL, rules in the order recordOrder reads them), PENDING with vests_at when placed within
 *     the return window of now, POSTED otherwise; a lot expiring expiryMonths after placed_at (vested lots start net
 *     of clawback debt, as ledger_post does);
 *   - the refund (refund id `history:<external id>`): an order_refunds row and REVERSAL transfers of
 *     floor(points x refunded / amount), from pending or posted, drawn from the order's own lot (the only lot holding
 *     anything when it cannot cover it, see below), as takeBackPoints does;
 *   - locking an account expires its due holds (ledger_lock_account), so accounts that earn get that too;
 *   - a referee's PENDING referral is qualified once per member after the chunk's orders are in when one of them
 *     vested at once (recordOrder does it at the first such order; the qualifying order it picks is the same unless a
 *     later refund in the same history changes which order reaches the minimum).
 * Not replayed: audit rows (recordOrder audits staff callers only; the import is not one).
 * The one-by-one comparison test (test/integration/history-import-equivalence.test.ts) holds this to recordOrder.
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
}

/** What every chunk of one import shares: loaded once, as recordOrder would read it (ladder, rules, currencies). */
/** The whole Config: referral qualification reads its referral rules. */
export type HistoryApplyConfig = Config;

export interface ApplySettings {
  importId: string;
  now: Date;
  config: HistoryApplyConfig;
  ladder: { code: string; rank: number; threshold: string; multiplier: string; multiplierText: string }[];
  rules: { position: number; code: string; currency: string; markets: string[] | null; starts_at: string | null; ends_at: string | null; min_order: string | null; first_only: boolean; multiplier: string | null; bonus: number | null }[];
  currencies: { code: string; earn_rate: string; expiry_months: number }[];
}

const canonical = (text: string) => formatDecimal(parseDecimal(text, 'multiplier'));

/** The ladder, the active campaign rules and the earning currencies, read the way recordOrder reads them. */
export async function loadApplySettings(em: EntityManager, importId: string, now: Date, config: HistoryApplyConfig): Promise<ApplySettings> {
  const tiers = await em.execute<{ code: string; rank: number; threshold_minor: string; earn_multiplier: string }[]>(
    'select code, rank, threshold_minor::text as threshold_minor, earn_multiplier from tiers order by rank',
  );
  const rules = await em.fork().find(EarningRule, { active: true });
  const currencies = await earningCurrencies(em.fork());
  return {
    importId,
    now,
    config,
    ladder: tiers.map((tier) => ({ code: tier.code, rank: tier.rank, threshold: tier.threshold_minor, multiplier: canonical(tier.earn_multiplier), multiplierText: canonical(tier.earn_multiplier) })),
    rules: rules.map((rule, position) => ({
      position,
      code: rule.code,
      currency: rule.currency,
      markets: rule.markets,
      starts_at: rule.startsAt?.toISOString() ?? null,
      ends_at: rule.endsAt?.toISOString() ?? null,
      min_order: rule.minOrderBaseMinor?.toString() ?? null,
      first_only: rule.firstOrderOnly,
      multiplier: rule.multiplier ? canonical(rule.multiplier) : null,
      bonus: rule.bonusPoints || null,
    })),
    currencies: currencies.map((currency) => ({ code: currency.code, earn_rate: formatDecimal(currency.earnRate), expiry_months: currency.expiryMonths })),
  };
}

/** 10^-digits as an exact numeric literal ('0.01' for 2 digits). */
const minorUnitFactor = (digits: number) => (digits === 0 ? '1' : `0.${'0'.repeat(digits - 1)}1`);

/** The request hash recordOrder stores (requestHash([memberId, externalId, amountMinor, currency, placedAt])), in SQL. */
export const ORDER_REQUEST_HASH_SQL = (member: string, order: string) => `encode(sha256(convert_to(
  '[' || to_json(${member}.id::text)::text || ',' || to_json(${order}.external_id)::text || ',"' || ${order}.amount_minor::text || '",' ||
  to_json(${order}.currency)::text || ',"' || to_char(${order}.placed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"]', 'UTF8')), 'hex')`;

/**
 * The chunk's staged rows in a temporary table (hio) with their member, the hash recordOrder would store and any
 * order already stored under the external id; rows of unknown members and known orders are counted and dropped.
 */
async function readChunk(tx: EntityManager, importId: string, range: ChunkRange): Promise<{ outcome: ChunkOutcome; count: number }> {
  await tx.execute(
    `create temp table hio on commit drop as
     select s.line, s.id, s.external_id, s.member_external_id, m.id as member_id, m.country, s.amount_minor, s.currency, s.base_amount_minor,
            s.fx_rate, s.placed_at, s.refunded_minor, s.refund_hash,
            case when m.id is not null then ${ORDER_REQUEST_HASH_SQL('m', 's')} end as request_hash,
            o.request_hash as existing_hash
     from history_import_orders s
     left join members m on m.external_id = s.member_external_id and m.status <> 'ERASED'
     left join orders o on o.external_id = s.external_id
     where s.import_id = ? and (?::text is null or s.member_external_id > ?) and s.member_external_id <= ?`,
    [importId, range.after, range.after, range.upTo],
  );
  const skipped = await tx.execute<{ line: number; member_external_id: string; external_id: string; outcome: string }[]>(
    `select line, member_external_id, external_id,
            case when member_id is null then 'unknown' when existing_hash = request_hash then 'present' else 'conflict' end as outcome
     from hio where member_id is null or existing_hash is not null order by line`,
  );
  const outcome: ChunkOutcome = { inserted: 0, alreadyPresent: 0, rejected: [], tierChanges: 0, transfers: 0 };
  for (const row of skipped) {
    if (row.outcome === 'present') outcome.alreadyPresent += 1;
    else if (row.outcome === 'unknown') outcome.rejected.push({ line: row.line, reason: `unknown member ${row.member_external_id}` });
    else outcome.rejected.push({ line: row.line, reason: `external_id ${row.external_id} is already present with other data` });
  }
  if (skipped.length > 0) await tx.execute('delete from hio where member_id is null or existing_hash is not null');
  const [{ count }] = await tx.execute<{ count: number }[]>('select count(*)::int as count from hio');
  // Temporary tables have no statistics until analysed: without them the planner takes 100k rows for a handful.
  await tx.execute('analyze hio');
  return { outcome, count: Number(count) };
}

const STATUS_SQL = (order: string) =>
  `case when ${order}.refunded_minor = 0 then 'PAID' when ${order}.refunded_minor = ${order}.amount_minor then 'REFUNDED' else 'PARTIALLY_REFUNDED' end`;

/** History only (`earn: false`): the chunk's new orders, with their refunds, earning nothing (no ledger rows, no tier replay). */
export async function insertHistoryChunk(tx: EntityManager, importId: string, baseCurrency: string, range: ChunkRange): Promise<ChunkOutcome> {
  const { outcome, count } = await readChunk(tx, importId, range);
  if (count === 0) return outcome;
  const inserted = await tx.execute(
    `insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                         refunded_minor, status, points_earned, details, request_hash, created_at)
     select q.id, q.member_id, q.external_id, q.amount_minor, q.currency, q.base_amount_minor, ?, q.fx_rate, q.placed_at, q.refunded_minor,
            ${STATUS_SQL('q')}, 0, '{"imported": true}'::jsonb, q.request_hash, now()
     from hio q order by q.member_id, q.placed_at, q.external_id
     on conflict (external_id) do nothing returning 1`,
    [baseCurrency],
  );
  outcome.inserted = inserted.length;
  return outcome;
}

/** Applies one chunk in the caller's transaction (see the top of this file). */
export async function applyHistoryChunk(tx: EntityManager, settings: ApplySettings, range: ChunkRange): Promise<ChunkOutcome> {
  const { importId, now, config } = settings;
  const run = <T = any>(sql: string, params: unknown[] = []) => tx.execute<T[]>(sql, params);
  // Sorts and hashes of a 100k-order chunk stay in memory (the default 4MB spills them to disk).
  await tx.execute("set local work_mem = '128MB'");
  const { outcome, count } = await readChunk(tx, importId, range);
  if (count === 0) return outcome;

  await run('create temp table hladder on commit drop as select * from jsonb_to_recordset(?::jsonb) as l(code text, rank int, threshold bigint, multiplier numeric, "multiplierText" text)', [
    JSON.stringify(settings.ladder),
  ]);
  const lowest = settings.ladder[0].code;
  // recordOrder's first step for the member: its tier row (the lowest tier when it has none), locked.
  await run(
    `insert into member_tiers (member_id, tier_code, reached_at, retain_until)
     select distinct member_id, ?, ?::timestamptz, null::timestamptz from hio order by member_id on conflict (member_id) do nothing`,
    [lowest, now],
  );
  await run('select count(*) from (select 1 from member_tiers where member_id in (select member_id from hio) order by member_id for update) locked');

  // The ladder written into the statement (a handful of rungs; codes match /^[A-Z][A-Z0-9_]+$/, numbers are numbers):
  // per-row lookups become CASE expressions instead of subqueries.
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const descending = [...settings.ladder].sort((left, right) => right.rank - left.rank);
  const reachedRank = (spend: string) =>
    `(case ${descending.map((tier) => `when ${spend} >= ${BigInt(tier.threshold)} then ${Number(tier.rank)}`).join(' ')} else ${Number(settings.ladder[0].rank)} end)`;
  const byRank = (rank: string, value: (tier: ApplySettings['ladder'][number]) => string) =>
    `(case ${rank} ${settings.ladder.map((tier) => `when ${Number(tier.rank)} then ${value(tier)}`).join(' ')} end)`;
  const ws = windowStart(now, config);
  const net = netBaseAmountSql('o');
  const netNew = netBaseAmountSql('n');
  // The replay: each order's place in its member's sequence, first-order flag, tier before and after it.
  await run(
    `create temp table hseq on commit drop as
     with prior as (
       select o.member_id, min(o.placed_at) as first_placed,
              coalesce(sum(${net}) filter (where o.placed_at > ?::timestamptz and o.placed_at <= ?::timestamptz), 0) as spend
       from orders o where o.member_id in (select member_id from hio) group by o.member_id
     ), standing as (
       select mt.member_id, mt.tier_code, coalesce(l.rank, (select min(rank) from hladder)) as rank
       from member_tiers mt left join hladder l on l.code = mt.tier_code where mt.member_id in (select member_id from hio)
     ), steps as (
       select n.*, st.tier_code as stored_tier, st.rank as rank0,
              row_number() over w as rn,
              n.placed_at + (?::int * interval '24 hours') as vests_at,
              coalesce(p.spend, 0)
                + coalesce(sum(case when n.placed_at > ?::timestamptz and n.placed_at <= ?::timestamptz then ${netNew} else 0 end)
                    over (w rows between unbounded preceding and 1 preceding), 0)
                + case when n.placed_at > ?::timestamptz and n.placed_at <= ?::timestamptz then n.base_amount_minor else 0 end as spend,
              p.first_placed
       from hio n join standing st on st.member_id = n.member_id left join prior p on p.member_id = n.member_id
       window w as (partition by n.member_id order by n.placed_at, n.external_id collate "C")
     ), reached as (
       select s.*, ${reachedRank('s.spend')} as reached_rank from steps s
     ), held as (
       select r.*,
              (r.rn = 1 and (r.first_placed is null or r.first_placed > r.placed_at)) as is_first,
              r.vests_at > ?::timestamptz as pending,
              greatest(r.rank0, coalesce(max(r.reached_rank) over (partition by r.member_id order by r.rn rows between unbounded preceding and 1 preceding), r.rank0)) as rank_before,
              greatest(r.rank0, max(r.reached_rank) over (partition by r.member_id order by r.rn)) as rank_after
       from reached r
     )
     select h.*, ${byRank('h.rank_after', (tier) => `${tier.multiplier}::numeric`)} as tier_multiplier,
            ${byRank('h.rank_after', (tier) => quote(tier.multiplierText))} as tier_multiplier_text, ${byRank('h.rank_after', (tier) => quote(tier.code))} as tier_after,
            case when h.rank_before > h.rank0 then ${byRank('h.rank_before', (tier) => quote(tier.code))} else h.stored_tier end as tier_before
     from held h`,
    [ws, now, config.returnWindowDays, ws, now, ws, now, now],
  );

  // Points per order and earning currency: evaluateEarning, in SQL.
  await run(
    `create temp table hrules on commit drop as select * from jsonb_to_recordset(?::jsonb) as r(position int, code text, currency text, markets text[],
       starts_at timestamptz, ends_at timestamptz, min_order bigint, first_only boolean, multiplier text, bonus int)`,
    [JSON.stringify(settings.rules)],
  );
  await run('create temp table hcur on commit drop as select * from jsonb_to_recordset(?::jsonb) as c(code text, earn_rate numeric, expiry_months int)', [
    JSON.stringify(settings.currencies),
  ]);
  const factor = minorUnitFactor(minorUnitDigits(config.baseCurrency)!);
  const matches = `r.currency = c.code and (r.markets is null or q.country = any(r.markets)) and (r.starts_at is null or q.placed_at >= r.starts_at)
      and (r.ends_at is null or q.placed_at < r.ends_at) and (r.min_order is null or q.base_amount_minor >= r.min_order) and (not r.first_only or q.is_first)`;
  const hasRules = settings.rules.length > 0;
  await run(
    `create temp table hearn on commit drop as
     select q.member_id, q.id as order_id, q.external_id, q.rn, q.pending, q.vests_at, q.placed_at, q.amount_minor, q.refunded_minor,
            c.code as currency, ((q.placed_at at time zone 'UTC') + make_interval(months => c.expiry_months)) at time zone 'UTC' as expires_at,
            e.points, e.applied,
            div(e.points::numeric * q.refunded_minor, q.amount_minor)::bigint as clawback
     from hseq q cross join hcur c
     cross join lateral (
       select floor(q.base_amount_minor::numeric * c.earn_rate * q.tier_multiplier * coalesce(best.multiplier::numeric, 1) * ${factor})::bigint
                + coalesce(bonus.total, 0) as points,
              (case when q.tier_multiplier <> 1 then jsonb_build_array(jsonb_build_object('code', 'TIER', 'multiplier', q.tier_multiplier_text)) else '[]'::jsonb end)
                || (case when best.code is not null then jsonb_build_array(jsonb_build_object('code', best.code, 'multiplier', best.multiplier)
                      || case when best.bonus is not null then jsonb_build_object('bonusPoints', best.bonus) else '{}'::jsonb end) else '[]'::jsonb end)
                || coalesce(bonus.entries, '[]'::jsonb) as applied
       from (select 1) one
       ${hasRules
         ? `left join lateral (select r.code, r.multiplier, r.bonus from hrules r where ${matches} and r.multiplier is not null
                               order by r.multiplier::numeric desc, r.position limit 1) best on true
            left join lateral (select sum(r.bonus) as total,
                                      jsonb_agg(jsonb_build_object('code', r.code, 'bonusPoints', r.bonus) order by r.position)
                                        filter (where r.code is distinct from best.code) as entries
                               from hrules r where ${matches} and r.bonus is not null) bonus on true`
         : `left join (select null::text as code, null::text as multiplier, null::int as bonus) best on true
            left join (select null::bigint as total, null::jsonb as entries) bonus on true`}
     ) e`,
  );

  await run('analyze hearn');

  // The orders, as recordOrder and refundOrder leave them.
  const orders = await run(
    `insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                         refunded_minor, status, points_earned, details, request_hash, created_at)
     select q.id, q.member_id, q.external_id, q.amount_minor, q.currency, q.base_amount_minor, ?, q.fx_rate, q.placed_at, q.refunded_minor,
            ${STATUS_SQL('q')}, coalesce(e.pts, 0), jsonb_build_object('earned', coalesce(e.earned, '{}'::jsonb)), q.request_hash, now()
     from hseq q
     left join (
       select order_id, sum(points) filter (where currency = 'PTS') as pts,
              jsonb_object_agg(currency, jsonb_build_object('points', points::text, 'rules', applied)) as earned
       from hearn where points > 0 group by order_id
     ) e on e.order_id = q.id
     order by q.member_id, q.rn
     on conflict (external_id) do nothing returning 1`,
    [config.baseCurrency],
  );
  // An order recorded through the API since the chunk was read: undo the chunk, a re-run skips that order.
  if (orders.length !== count) throw new Error('orders were recorded for these members while importing; run the import again');
  outcome.inserted = orders.length;
  await run(
    `insert into order_refunds (order_id, member_id, refund_id, amount_minor, request_hash, created_at)
     select q.id, q.member_id, 'history:' || q.external_id, q.refunded_minor, q.refund_hash, now() from hseq q where q.refunded_minor > 0 order by q.member_id, q.rn`,
  );

  // The accounts that earn: created on first use, locked in member order, their due holds expired (as locking does).
  await run('delete from hearn where points <= 0');
  await run(
    `insert into points_accounts (currency, member_id) select distinct currency, member_id from hearn
     on conflict on constraint points_accounts_member_id_currency_unique do nothing`,
  );
  await run(
    `select count(*) from (select 1 from points_accounts where (member_id, currency) in (select member_id, currency from hearn)
     order by member_id, currency for update) locked`,
  );
  await run(
    `with expired as (
       update points_holds h set status = 'EXPIRED', resolved_at = ?
       where h.status = 'HELD' and h.expires_at <= ? and h.account_id in (select a.id from points_accounts a where (a.member_id, a.currency) in (select member_id, currency from hearn))
       returning h.account_id, h.points
     ) update points_accounts a set held = a.held - x.points from (select account_id, sum(points) as points from expired group by account_id) x where a.id = x.account_id`,
    [now, now],
  );

  // Each earn's lot: pending lots hold the points less the clawback; vested lots start net of any clawback debt
  // (least(points, max(posted after the credit, 0))) and the clawback comes out of them. When a vested lot cannot
  // cover its clawback the posted balance before it was not positive, so no other lot holds anything to draw.
  await run(
    `create temp table hpost on commit drop as
     select x.*, case when x.pending then x.points - x.clawback else x.start_remaining - least(x.clawback, x.start_remaining) end as remaining
     from (
       select e.*, a.id as account_id,
              least(e.points, greatest(a.posted + coalesce(sum(case when e.pending then 0 else e.points - e.clawback end)
                over (partition by e.member_id, e.currency order by e.rn rows between unbounded preceding and 1 preceding), 0) + e.points, 0)) as start_remaining
       from hearn e join points_accounts a on a.member_id = e.member_id and a.currency = e.currency
     ) x`,
  );
  const system = await run<{ currency: string; issuance: string; reversal: string }>(
    `select code as currency, ledger_system_account('ISSUANCE', code) as issuance, ledger_system_account('REVERSAL', code) as reversal
     from (select distinct currency as code from hpost) c`,
  );
  if (system.length === 0) return outcome;
  await run('create temp table hsys on commit drop as select * from jsonb_to_recordset(?::jsonb) as s(currency text, issuance bigint, reversal bigint)', [
    JSON.stringify(system),
  ]);
  const [earned] = await run<{ count: number }>(
    `with earn as (
       insert into points_transfers (currency, kind, bucket, debit_account_id, credit_account_id, amount, member_id, order_id, reference, details, expires_at, created_at)
       select p.currency, 'EARN', case when p.pending then 'PENDING' else 'POSTED' end, s.issuance, p.account_id, p.points, p.member_id, p.order_id,
              'order:' || p.external_id, jsonb_build_object('rules', p.applied), p.expires_at, now()
       from hpost p join hsys s on s.currency = p.currency order by p.member_id, p.rn, p.currency
       returning id, order_id, currency
     ), lots as (
       insert into points_lots (account_id, member_id, currency, transfer_id, order_id, amount, remaining, reversed, pending, vests_at, expires_at, created_at)
       select p.account_id, p.member_id, p.currency, earn.id, p.order_id, p.points, p.remaining, p.clawback, p.pending,
              case when p.pending then p.vests_at end, p.expires_at, now()
       from earn join hpost p on p.order_id = earn.order_id and p.currency = earn.currency
       returning 1
     ) select count(*)::int as count from lots`,
  );
  const [reversed] = await run<{ count: number }>(
    `with reversal as (
       insert into points_transfers (currency, kind, bucket, debit_account_id, credit_account_id, amount, member_id, order_id, reference, reason, created_at)
       select p.currency, 'REVERSAL', case when p.pending then 'PENDING' else 'POSTED' end, p.account_id, s.reversal, p.clawback, p.member_id, p.order_id,
              'refund:history:' || p.external_id, 'refund of order ' || p.external_id, now()
       from hpost p join hsys s on s.currency = p.currency where p.clawback > 0 order by p.member_id, p.rn, p.currency
       returning 1
     ) select count(*)::int as count from reversal`,
  );
  outcome.transfers = Number(earned.count) + Number(reversed.count);
  await run(
    `update points_accounts a set posted = a.posted + x.posted, pending = a.pending + x.pending
     from (select account_id, sum(case when pending then 0 else points - clawback end) as posted, sum(case when pending then points - clawback else 0 end) as pending
           from hpost group by account_id) x
     where a.id = x.account_id`,
  );

  // Tier upgrades, as applyTierDecisions writes them (all at the import's clock).
  const retainUntil = retainUntilFrom(config)(now);
  const changes = await run<{ member_id: string }>(
    `insert into member_tier_changes (member_id, from_tier, to_tier, reason, qualifying_spend_minor, changed_at)
     select member_id, tier_before, tier_after, 'UPGRADE', spend, ? from hseq where rank_after > rank_before order by member_id, rn returning member_id`,
    [now],
  );
  outcome.tierChanges = changes.length;
  if (changes.length > 0) {
    await run(
      `update member_tiers mt set tier_code = f.tier_after, reached_at = case when mt.tier_code = f.tier_after then mt.reached_at else ?::timestamptz end, retain_until = ?
       from (select distinct on (member_id) member_id, tier_after from hseq where rank_after > rank_before order by member_id, rn desc) f
       where mt.member_id = f.member_id`,
      [now, retainUntil],
    );
    await enqueueEventsFrom(
      tx,
      'member.tier_changed',
      `select m.id as member_id, jsonb_build_object('memberId', m.id, 'externalId', m.external_id, 'from', q.tier_before, 'to', q.tier_after, 'changedAt', ?::timestamptz) as data
       from hseq q join members m on m.id = q.member_id where q.rank_after > q.rank_before and m.status <> 'ERASED' order by q.member_id, q.rn`,
      [now],
      now,
    );
  }

  // Referees whose history vested at once qualify their PENDING referral now (recordOrder does it before the lock).
  const referees = await run<{ member_id: string }>(
    `select distinct q.member_id from hseq q join referrals r on r.member_id = q.member_id and r.status = 'PENDING' where not q.pending order by q.member_id`,
  );
  for (const { member_id } of referees) await qualifyReferralOfReferee(tx, config, member_id, now);
  return outcome;
}
