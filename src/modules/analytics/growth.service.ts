import { isISO31661Alpha2 } from 'class-validator';
import currencyCodes from 'currency-codes';
import type { RequestScope } from '../../graphql/context';
import { BadUserInputError } from '../../errors';
import { minorUnitDigits } from '../../money/currency';
import { addMonths } from '../../time';
import { netBaseAmountSql } from '../orders/order.sql';
import {
  cohortGrid,
  CohortRow,
  daysStartingIn,
  DaySpan,
  engagement,
  mauDays,
  medianOfHistogram,
  monthOf,
  moneyRatio,
  MoneyRatioParts,
  ratio,
  RatioParts,
  valueRatio,
  ValueRatioParts,
} from './growth-math';

/** The period [from, to) and the member filters every growth metric is computed for. */
export interface GrowthQuery {
  from: Date;
  to: Date;
  /** ISO 3166-1 alpha-2: only members with this country. */
  market: string | null;
  /** Only members with this acquisition channel. */
  channel: string | null;
}

/** Longest period one query may cover: the statements scan the orders of the period (and the one before). */
const MAX_PERIOD_DAYS = 3660;

/** Validates the arguments of growthMetrics and the cohort CSV route; BAD_USER_INPUT names the bad one. */
export function growthQueryOrFail(from: Date, to: Date, market?: string | null, channel?: string | null): GrowthQuery {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw new BadUserInputError('from', 'is not a time');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new BadUserInputError('to', 'is not a time');
  if (to.getTime() <= from.getTime()) throw new BadUserInputError('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) throw new BadUserInputError('to', `the period may be at most ${MAX_PERIOD_DAYS} days`);
  let marketCode: string | null = null;
  if (market != null) {
    marketCode = market.trim().toUpperCase();
    if (!isISO31661Alpha2(marketCode)) throw new BadUserInputError('market', `"${market}" is not an ISO 3166-1 alpha-2 country code, such as DE`);
  }
  let channelName: string | null = null;
  if (channel != null) {
    // Normalised as enrolment stores it (members.acquisition_channel is lower case).
    channelName = channel.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(channelName)) throw new BadUserInputError('channel', 'must be 1 to 64 letters, digits, ".", "_" or "-", such as google_ads');
  }
  return { from, to, market: marketCode, channel: channelName };
}

export interface ChannelAcquisition {
  /** null: members enrolled without a channel. */
  channel: string | null;
  newMembers: number;
  acquisitionCostMinor: bigint;
  cac: MoneyRatioParts;
}

export interface AcquisitionResult {
  newMembers: number;
  acquisitionCostMinor: bigint;
  cac: MoneyRatioParts;
  overseasShare: RatioParts;
  homeMarket: string;
  costsWithoutRate: number;
  byChannel: ChannelAcquisition[];
}

export interface ActivationResult {
  newMembers: number;
  firstOrderWithin7Days: RatioParts;
  firstOrderWithin30Days: RatioParts;
  medianDaysToFirstOrder: number | null;
}

/** Activation from new members counted by whole days from joining to their first order (null: none in the period). */
export function activationOf(rows: ReadonlyArray<{ days: number | null; members: string }>): ActivationResult {
  const histogram = rows.filter((row) => row.days !== null).map((row) => ({ value: Number(row.days), count: Number(row.members) }));
  const newMembers = rows.reduce((sum, row) => sum + Number(row.members), 0);
  const within = (days: number) => histogram.filter((bucket) => bucket.value < days).reduce((sum, bucket) => sum + bucket.count, 0);
  return {
    newMembers,
    firstOrderWithin7Days: ratio(within(7), newMembers),
    firstOrderWithin30Days: ratio(within(30), newMembers),
    medianDaysToFirstOrder: medianOfHistogram(histogram),
  };
}

export interface RetentionResult {
  cohorts: CohortRow[];
  repeatPurchaseRate: RatioParts;
  churnRate: RatioParts;
  previousFrom: Date;
}

export interface RevenueResult {
  orders: number;
  gmvMinor: bigint;
  netRevenueMinor: bigint;
  aov: MoneyRatioParts;
  revenuePerMember: MoneyRatioParts;
  highValueShare: RatioParts;
  highValueThresholdMinor: bigint;
}

export interface ReferralResult {
  newMembers: number;
  referralRate: RatioParts;
  referralConversion: RatioParts;
  referralsPerActiveReferrer: RatioParts;
}

export interface ChannelValue {
  channel: string | null;
  scoredMembers: number;
  meanLtv: MoneyRatioParts;
  ltvToCac: ValueRatioParts;
}

export interface ValueResult {
  run: { id: string; asOf: Date } | null;
  scoredMembers: number;
  meanLtv: MoneyRatioParts;
  ltvToCac: ValueRatioParts;
  byChannel: ChannelValue[];
}

/** The growth plan's health bar for LTV:CAC. */
export const LTV_TO_CAC_BAR = 3.5;

export interface EngagementResult {
  dau: RatioParts;
  mau: number;
  dauMau: RatioParts;
}

/** Orders, GMV and net revenue of the orders placed in a period (the revenue section's sums). */
export interface RevenueTotals {
  orders: number;
  gmvMinor: bigint;
  netRevenueMinor: bigint;
}

/** One UTC month of a period: the part of [from, to) in that month. */
export interface MonthPart {
  /** YYYY-MM. */
  month: string;
  from: Date;
  to: Date;
}

export type MonthlyRevenue = MonthPart & RevenueTotals;
export type MonthlyEngagement = MonthPart & EngagementResult;

/** The UTC months [from, to) touches, oldest first, each with the part of the period in it (and its month index). */
export function monthParts(query: GrowthQuery): (MonthPart & { index: number })[] {
  const parts: (MonthPart & { index: number })[] = [];
  for (let index = monthIndex(query.from); monthStart(index) < query.to; index++) {
    const from = new Date(Math.max(monthStart(index).getTime(), query.from.getTime()));
    const to = new Date(Math.min(monthStart(index + 1).getTime(), query.to.getTime()));
    parts.push({ month: monthOf(from), from, to, index });
  }
  return parts;
}

/** The days an engagement figure counts: member-days over `period`, distinct members (MAU) over `month`. */
interface ActivitySpan {
  period: DaySpan;
  month: DaySpan;
}

function activitySpan(from: Date, to: Date): ActivitySpan {
  return { period: daysStartingIn(from, to), month: mauDays(to) };
}

/** Spans as a VALUES list (i, day_from, day_to, mau_from, mau_to) and its parameters, for one statement over all of them. */
function spanValues(spans: ActivitySpan[]): { sql: string; params: unknown[] } {
  return {
    sql: `(values ${spans.map(() => '(?::int, ?::date, ?::date, ?::date, ?::date)').join(', ')}) s(i, day_from, day_to, mau_from, mau_to)`,
    params: spans.flatMap((span, i) => [i, span.period.first, span.period.end, span.month.first, span.month.end]),
  };
}

function sumTotals(rows: Iterable<RevenueTotals>): RevenueTotals {
  const total = { orders: 0, gmvMinor: 0n, netRevenueMinor: 0n };
  for (const row of rows) {
    total.orders += row.orders;
    total.gmvMinor += row.gmvMinor;
    total.netRevenueMinor += row.netRevenueMinor;
  }
  return total;
}

/** ISO 4217 minor digits of every tender currency, as JSON for `jsonb_each_text`: converts costs in one statement. */
const CURRENCY_DIGITS_JSON = JSON.stringify(
  Object.fromEntries(
    currencyCodes
      .codes()
      .map((code) => [code, minorUnitDigits(code)] as const)
      .filter(([, digits]) => digits !== undefined),
  ),
);

/**
 * The AARRR numbers of a period, computed directly from the programme's own tables with a few set-based
 * statements per section (never a query per member). Counting and summing happen in SQL; every division in
 * growth-math. Everything is as of `to`: orders placed at or after `to` do not count (refunds count as recorded
 * to date). These statements are the definitions: GrowthService answers the order sections from the rollups,
 * and the tests and the growth bench compare it with this class.
 */
export class DirectGrowthService {
  /** Whether PostgreSQL may JIT-compile the statements (its default; the direct statements scan millions of rows). */
  protected readonly jit: boolean = true;

  /** Runs one read-only analytics statement in its own short transaction, with enough work_mem for its aggregates. */
  protected read<T>(scope: RequestScope, sql: string, params: unknown[]): Promise<T[]> {
    return scope.em.transactional(async (tx) => {
      await tx.execute(`set local work_mem = '${ANALYTICS_WORK_MEM}'`);
      // The rollup statements are short: compiling them would cost more than it saves (0.3 s at 1M members).
      if (!this.jit) await tx.execute('set local jit = off');
      return tx.execute<T[]>(sql, params);
    });
  }

  async acquisition(scope: RequestScope, query: GrowthQuery): Promise<AcquisitionResult> {
    const filter = memberFilter(query, 'm');
    const base = scope.config.baseCurrency;
    const baseDigits = minorUnitDigits(base)!;
    const rows = await this.read<{ channel: string | null; members: string; overseas: string; cost_minor: string; without_rate: string }>(
      scope,
      `with new_members as (
         select m.acquisition_channel as channel, m.country, m.acquisition_cost_minor as cost_minor,
                m.acquisition_cost_currency as cost_currency, m.joined_at
         from members m where m.joined_at >= ? and m.joined_at < ?${filter.sql}
       ), costed as (
         select n.channel, n.country,
                case when n.cost_minor is null then 0
                     when n.cost_currency = ? then n.cost_minor::numeric
                     else div(n.cost_minor::numeric * power(10::numeric, ?), r.rate * power(10::numeric, d.digits::int)) end as cost_base
         from new_members n
         left join jsonb_each_text(?::jsonb) d(currency, digits) on d.currency = n.cost_currency
         left join lateral (
           select er.rate from exchange_rates er
           where er.currency = n.cost_currency and er.effective_at <= n.joined_at
           order by er.effective_at desc limit 1
         ) r on n.cost_minor is not null and n.cost_currency <> ?
       )
       select channel, count(*) as members, count(*) filter (where country <> ?) as overseas,
              coalesce(sum(cost_base), 0)::text as cost_minor, count(*) filter (where cost_base is null) as without_rate
       from costed group by channel order by channel nulls last`,
      [query.from, query.to, ...filter.params, base, baseDigits, CURRENCY_DIGITS_JSON, base, scope.config.homeMarket],
    );
    const byChannel = rows.map((row) => {
      const newMembers = Number(row.members);
      const costMinor = BigInt(row.cost_minor);
      return { channel: row.channel, newMembers, acquisitionCostMinor: costMinor, cac: moneyRatio(costMinor, newMembers) };
    });
    const newMembers = byChannel.reduce((sum, row) => sum + row.newMembers, 0);
    const costMinor = byChannel.reduce((sum, row) => sum + row.acquisitionCostMinor, 0n);
    const overseas = rows.reduce((sum, row) => sum + Number(row.overseas), 0);
    return {
      newMembers,
      acquisitionCostMinor: costMinor,
      cac: moneyRatio(costMinor, newMembers),
      overseasShare: ratio(overseas, newMembers),
      homeMarket: scope.config.homeMarket,
      costsWithoutRate: rows.reduce((sum, row) => sum + Number(row.without_rate), 0),
      byChannel,
    };
  }

  async activation(scope: RequestScope, query: GrowthQuery): Promise<ActivationResult> {
    const filter = memberFilter(query, 'm');
    // One row per whole number of days from joining to the first order (null: no order before `to`).
    const rows = await this.read<{ days: number | null; members: string }>(
      scope,
      `with new_members as (
         select m.id, m.joined_at from members m where m.joined_at >= ? and m.joined_at < ?${filter.sql}
       ), firsts as (
         -- Grouped in one pass (a merge join on the orders' member index), not one look-up per member.
         select o.member_id, min(o.placed_at) as first_at
         from orders o join new_members n on n.id = o.member_id
         where o.placed_at < ? group by o.member_id
       )
       select case when f.first_at is not null then greatest(floor(extract(epoch from (f.first_at - n.joined_at)) / 86400), 0)::int end as days,
              count(*) as members
       from new_members n left join firsts f on f.member_id = n.id group by 1`,
      [query.from, query.to, ...filter.params, query.to],
    );
    return activationOf(rows);
  }

  async retention(scope: RequestScope, query: GrowthQuery): Promise<RetentionResult> {
    const previousFrom = new Date(query.from.getTime() - (query.to.getTime() - query.from.getTime()));
    const [cohorts, purchases] = await Promise.all([this.cohorts(scope, query), this.purchaseCounts(scope, query, previousFrom)]);
    return {
      cohorts,
      repeatPurchaseRate: ratio(purchases.repeatBuyers, purchases.buyers),
      churnRate: ratio(purchases.churned, purchases.previousBuyers),
      previousFrom,
    };
  }

  /** Monthly cohorts (UTC join month) of the members who joined in the period; cell n counts orders in month n after joining. */
  async cohorts(scope: RequestScope, query: GrowthQuery): Promise<CohortRow[]> {
    const filter = memberFilter(query, 'm');
    // Months as whole numbers (year x 12 + month, UTC) rather than dates and text: this groups millions of rows.
    const monthIndex = (column: string) => `(date_part('year', ${column} at time zone 'UTC') * 12 + date_part('month', ${column} at time zone 'UTC'))::int`;
    const rows = await this.read<{ month_index: number; month_offset: number; members: string }>(
      scope,
      `with cohort_members as (
         select m.id, ${monthIndex('m.joined_at')} as month_index,
                date_trunc('month', m.joined_at at time zone 'UTC') at time zone 'UTC' as month_start
         from members m where m.joined_at >= ? and m.joined_at < ?${filter.sql}
       ), active as (
         select c.id, c.month_index, ${monthIndex('o.placed_at')} - c.month_index as month_offset
         from cohort_members c
         join orders o on o.member_id = c.id and o.placed_at >= c.month_start and o.placed_at < ?
         group by 1, 2, 3
       )
       select month_index, -1 as month_offset, count(*) as members from cohort_members group by 1
       union all
       select month_index, month_offset, count(*) from active group by 1, 2`,
      [query.from, query.to, ...filter.params, query.to],
    );
    const month = (index: number) => `${Math.floor((index - 1) / 12)}-${String(((index - 1) % 12) + 1).padStart(2, '0')}`;
    const sizes = rows.filter((row) => row.month_offset === -1).map((row) => ({ month: month(row.month_index), members: Number(row.members) }));
    const active = rows.filter((row) => row.month_offset >= 0).map((row) => ({ month: month(row.month_index), offset: row.month_offset, members: Number(row.members) }));
    return cohortGrid(sizes, active, monthOf(new Date(query.to.getTime() - 1)));
  }

  protected async purchaseCounts(scope: RequestScope, query: GrowthQuery, previousFrom: Date): Promise<{ buyers: number; repeatBuyers: number; previousBuyers: number; churned: number }> {
    const filter = memberFilter(query, 'm');
    const join = filter.sql ? ' join members m on m.id = o.member_id' : '';
    const [row] = await this.read<{ buyers: string; repeat_buyers: string; previous_buyers: string; churned: string }>(
      scope,
      `with counts as (
         select o.member_id,
                count(*) filter (where o.placed_at >= ?) as current_orders,
                count(*) filter (where o.placed_at < ?) as previous_orders
         from orders o${join}
         where o.placed_at >= ? and o.placed_at < ?${filter.sql}
         group by o.member_id
       )
       select count(*) filter (where current_orders >= 1) as buyers,
              count(*) filter (where current_orders >= 2) as repeat_buyers,
              count(*) filter (where previous_orders >= 1) as previous_buyers,
              count(*) filter (where previous_orders >= 1 and current_orders = 0) as churned
       from counts`,
      [query.from, query.from, previousFrom, query.to, ...filter.params],
    );
    return { buyers: Number(row.buyers), repeatBuyers: Number(row.repeat_buyers), previousBuyers: Number(row.previous_buyers), churned: Number(row.churned) };
  }

  async revenue(scope: RequestScope, query: GrowthQuery): Promise<RevenueResult> {
    const filter = memberFilter(query, 'm');
    const join = filter.sql ? ' join members m on m.id = o.member_id' : '';
    const yearBefore = addMonths(query.to, -12);
    const earliest = yearBefore < query.from ? yearBefore : query.from;
    const threshold = scope.config.highValueThresholdMinor;
    // One pass over the orders of the period and of the 12 months before `to`, grouped by member.
    const [row] = await this.read<{ orders: string; gmv: string; net: string; members: string; spenders: string; high_value: string }>(
      scope,
      `with per_member as (
         select o.member_id,
                count(*) filter (where o.placed_at >= ?) as orders,
                sum(o.base_amount_minor) filter (where o.placed_at >= ?) as gmv,
                sum(${netBaseAmountSql('o')}) filter (where o.placed_at >= ?) as net,
                sum(${netBaseAmountSql('o')}) filter (where o.placed_at >= ?) as spend
         from orders o${join} where o.placed_at >= ? and o.placed_at < ?${filter.sql}
         group by o.member_id
       )
       select coalesce(sum(orders), 0) as orders, coalesce(sum(gmv), 0)::text as gmv, coalesce(sum(net), 0)::text as net,
              (select count(*) from members m where m.joined_at < ?${filter.sql}) as members,
              count(spend) as spenders,
              count(*) filter (where spend > ?) as high_value
       from per_member`,
      [query.from, query.from, query.from, yearBefore, earliest, query.to, ...filter.params, query.to, ...filter.params, threshold.toString()],
    );
    const orders = Number(row.orders);
    const netMinor = BigInt(row.net);
    return {
      orders,
      gmvMinor: BigInt(row.gmv),
      netRevenueMinor: netMinor,
      aov: moneyRatio(netMinor, orders),
      revenuePerMember: moneyRatio(netMinor, Number(row.members)),
      highValueShare: ratio(Number(row.high_value), Number(row.spenders)),
      highValueThresholdMinor: threshold,
    };
  }

  /**
   * Orders, GMV and net revenue of the orders placed in [from, to), per UTC month (year x 12 + month): the revenue
   * section's definitions. Months without orders are absent.
   */
  protected async revenueMonths(scope: RequestScope, query: GrowthQuery): Promise<Map<number, RevenueTotals>> {
    const filter = memberFilter(query, 'm');
    const join = filter.sql ? ' join members m on m.id = o.member_id' : '';
    const rows = await this.read<{ month: number; orders: string; gmv: string; net: string }>(
      scope,
      `select (date_part('year', o.placed_at at time zone 'UTC') * 12 + date_part('month', o.placed_at at time zone 'UTC'))::int as month,
              count(*) as orders, sum(o.base_amount_minor)::text as gmv, sum(${netBaseAmountSql('o')})::text as net
       from orders o${join} where o.placed_at >= ? and o.placed_at < ?${filter.sql} group by 1`,
      [query.from, query.to, ...filter.params],
    );
    return new Map(rows.map((row) => [Number(row.month), { orders: Number(row.orders), gmvMinor: BigInt(row.gmv), netRevenueMinor: BigInt(row.net) }]));
  }

  /** Orders, GMV and net revenue of the period: its months' sums. */
  async revenueTotals(scope: RequestScope, query: GrowthQuery): Promise<RevenueTotals> {
    return sumTotals((await this.revenueMonths(scope, query)).values());
  }

  /** Revenue by month: each UTC month's part of the period, oldest first, from the same statement as revenueTotals. */
  async revenueByMonth(scope: RequestScope, query: GrowthQuery): Promise<MonthlyRevenue[]> {
    const months = await this.revenueMonths(scope, query);
    return monthParts(query).map(({ index, ...part }) => ({ ...part, ...(months.get(index) ?? { orders: 0, gmvMinor: 0n, netRevenueMinor: 0n }) }));
  }

  /**
   * Engagement by month: each UTC month's part of the period as a period of its own (DAU over the days that start in
   * it, MAU over the 30 days before its end), from the same statement as engagement.
   */
  async engagementByMonth(scope: RequestScope, query: GrowthQuery): Promise<MonthlyEngagement[]> {
    const parts = monthParts(query);
    const spans = parts.map((part) => activitySpan(part.from, part.to));
    const counts = await this.activityCounts(scope, query, spans);
    return parts.map(({ index, ...part }, i) => ({ ...part, ...engagement(counts[i].memberDays, spans[i].period.days, counts[i].mau) }));
  }

  /** Member-days over each span's days and distinct active members over its MAU days, for the filtered members, in one statement. */
  protected async activityCounts(scope: RequestScope, query: GrowthQuery, spans: ActivitySpan[]): Promise<{ memberDays: number; mau: number }[]> {
    const filter = memberFilter(query, 'm');
    const join = filter.sql ? ' join members m on m.id = a.member_id' : '';
    const values = spanValues(spans);
    const rows = await this.read<{ member_days: string; mau: string }>(
      scope,
      `select (select count(*) from member_activity_days a${join} where a.day >= s.day_from and a.day < s.day_to${filter.sql}) as member_days,
              (select count(distinct a.member_id) from member_activity_days a${join} where a.day >= s.mau_from and a.day < s.mau_to${filter.sql}) as mau
       from ${values.sql} order by s.i`,
      [...filter.params, ...filter.params, ...values.params],
    );
    return rows.map((row) => ({ memberDays: Number(row.member_days), mau: Number(row.mau) }));
  }

  /**
   * Referrals of the members who joined in the period (the referee is the member filtered), as of `to`: a
   * referral counts as QUALIFIED if it qualified before `to`, is left out if it was rejected before `to`,
   * and is PENDING otherwise.
   */
  async referral(scope: RequestScope, query: GrowthQuery): Promise<ReferralResult> {
    const filter = memberFilter(query, 'm');
    const [row] = await this.read<{ new_members: string; referred: string; qualified: string; open: string; referrers: string }>(
      scope,
      `with new_members as (
         select m.id from members m where m.joined_at >= ? and m.joined_at < ?${filter.sql}
       ), referred as (
         select r.referrer_id,
                case when r.status = 'QUALIFIED' and r.qualified_at < ? then 'QUALIFIED'
                     when r.status = 'REJECTED' and r.rejected_at < ? then 'REJECTED'
                     else 'PENDING' end as status
         from new_members n join referrals r on r.member_id = n.id
       )
       select (select count(*) from new_members) as new_members,
              (select count(*) from referred) as referred,
              (select count(*) from referred where status = 'QUALIFIED') as qualified,
              (select count(*) from referred where status <> 'REJECTED') as open,
              (select count(distinct referrer_id) from referred where status <> 'REJECTED') as referrers`,
      [query.from, query.to, ...filter.params, query.to, query.to],
    );
    const newMembers = Number(row.new_members);
    return {
      newMembers,
      referralRate: ratio(Number(row.referred), newMembers),
      referralConversion: ratio(Number(row.qualified), Number(row.open)),
      referralsPerActiveReferrer: ratio(Number(row.open), Number(row.referrers)),
    };
  }

  /**
   * LTV against CAC for the members who joined in the period, from the latest successful LTV run (member_ltv
   * holds one row per member, replaced by each run). A member's LTV is the plan's formula (AOV x purchases per
   * year x lifespan - CAC), which is -CAC for a member without orders; its CAC is the run's, in the base currency.
   */
  async value(scope: RequestScope, query: GrowthQuery): Promise<ValueResult> {
    const filter = memberFilter(query, 'm');
    const [run] = await scope.em.execute<{ id: string; as_of: Date | string }[]>(
      "select id, as_of from ltv_runs where status = 'SUCCEEDED' order by finished_at desc, id desc limit 1",
    );
    if (!run) return { run: null, scoredMembers: 0, meanLtv: moneyRatio(0n, 0), ltvToCac: valueRatio(0n, 0n), byChannel: [] };
    const rows = await this.read<{ channel: string | null; scored: string; ltv: string; gross: string; cac: string }>(
      scope,
      `with scored as (
         select m.acquisition_channel as channel,
                coalesce(l.formula_ltv_minor, -coalesce(l.acquisition_cost_minor, 0))::numeric as ltv,
                coalesce(l.acquisition_cost_minor, 0)::numeric as cac
         from members m join member_ltv l on l.member_id = m.id
         where m.joined_at >= ? and m.joined_at < ?${filter.sql}
       )
       select channel, count(*) as scored, sum(ltv)::text as ltv, sum(ltv + cac)::text as gross, sum(cac)::text as cac
       from scored group by channel order by channel nulls last`,
      [query.from, query.to, ...filter.params],
    );
    const byChannel = rows.map((row) => ({
      channel: row.channel,
      scoredMembers: Number(row.scored),
      meanLtv: moneyRatio(BigInt(row.ltv), Number(row.scored)),
      ltvToCac: valueRatio(BigInt(row.gross), BigInt(row.cac)),
    }));
    const total = (pick: (row: (typeof rows)[number]) => string) => rows.reduce((sum, row) => sum + BigInt(pick(row)), 0n);
    const scoredMembers = byChannel.reduce((sum, row) => sum + row.scoredMembers, 0);
    return {
      run: { id: run.id, asOf: new Date(run.as_of) },
      scoredMembers,
      meanLtv: moneyRatio(total((row) => row.ltv), scoredMembers),
      ltvToCac: valueRatio(total((row) => row.gross), total((row) => row.cac)),
      byChannel,
    };
  }

  async engagement(scope: RequestScope, query: GrowthQuery): Promise<EngagementResult> {
    const span = activitySpan(query.from, query.to);
    const [counts] = await this.activityCounts(scope, query, [span]);
    return engagement(counts.memberDays, span.period.days, counts.mau);
  }
}

/** Memory for the hash aggregates of one analytics statement (a million members would spill to disk at 4 MB). */
const ANALYTICS_WORK_MEM = '64MB';

/** The market and channel filters as extra conditions on the members table aliased `alias`. */
export function memberFilter(query: GrowthQuery, alias: string): { sql: string; params: string[] } {
  const conditions: string[] = [];
  const params: string[] = [];
  if (query.market !== null) {
    conditions.push(`${alias}.country = ?`);
    params.push(query.market);
  }
  if (query.channel !== null) {
    conditions.push(`${alias}.acquisition_channel = ?`);
    params.push(query.channel);
  }
  return { sql: conditions.map((condition) => ` and ${condition}`).join(''), params };
}

/** A UTC month as the rollups number it: year x 12 + month (1 to 12). */
export function monthIndex(at: Date): number {
  return at.getUTCFullYear() * 12 + at.getUTCMonth() + 1;
}

/** The first instant of a month numbered as by monthIndex. */
export function monthStart(index: number): Date {
  return new Date(Date.UTC(Math.floor((index - 1) / 12), (index - 1) % 12, 1));
}

function isMonthStart(at: Date): boolean {
  return monthStart(monthIndex(at)).getTime() === at.getTime();
}

interface MemberWindows {
  buyers: number;
  repeatBuyers: number;
  previousBuyers: number;
  churned: number;
  spenders: number;
  highValue: number;
}

/** Retention and revenue share one scan of the members' running totals per request: kept with the request's scope, dropped with it. */
const memberWindowsOfRequest = new WeakMap<RequestScope, Map<string, Promise<MemberWindows>>>();

/**
 * growthMetrics from the rollups the growth migration keeps by trigger (migrations/Migration20261204080000_growth_rollups.ts),
 * with the same definitions as DirectGrowthService: whole UTC months come from the rollups, and the part of a month
 * before a period edge that is not a month start is read from the orders themselves, so any [from, to) gives the
 * same numbers. Activation, cohorts, repeat purchases, churn, revenue and engagement read rollups; acquisition,
 * referral and value are the direct statements.
 */
export class GrowthService extends DirectGrowthService {
  protected override readonly jit = false;

  override async activation(scope: RequestScope, query: GrowthQuery): Promise<ActivationResult> {
    const filter = memberFilter(query, 'g');
    const rows = await this.read<{ days: number | null; members: string }>(
      scope,
      `select case when g.first_order_at < ? then greatest(floor(extract(epoch from (g.first_order_at - g.joined_at)) / 86400), 0)::int end as days,
              count(*) as members
       from growth_members g where g.joined_at >= ? and g.joined_at < ?${filter.sql} group by 1`,
      [query.to, query.from, query.to, ...filter.params],
    );
    return activationOf(rows);
  }

  override async cohorts(scope: RequestScope, query: GrowthQuery): Promise<CohortRow[]> {
    const members = memberFilter(query, 'g');
    const cells = memberFilter(query, 'c');
    const lastMonth = monthIndex(query.to); // orders in it count only before `to`
    const firstFullMonth = isMonthStart(query.from) ? monthIndex(query.from) : monthIndex(query.from) + 1;
    const parts: string[] = [];
    const params: unknown[] = [];
    // Cohort sizes.
    parts.push(`select growth_month(g.joined_at) as month_index, -1 as month_offset, count(*) as members
                from growth_members g where g.joined_at >= ? and g.joined_at < ?${members.sql} group by 1`);
    params.push(query.from, query.to, ...members.params);
    // Whole join months, whole order months: the cohort cells.
    if (firstFullMonth < lastMonth) {
      parts.push(`select c.join_month, c.month - c.join_month, sum(c.members)
                  from growth_cohort_cells c
                  where c.join_month >= ? and c.join_month < ? and c.month >= c.join_month and c.month < ?${cells.sql}
                  group by 1, 2 having sum(c.members) > 0`);
      params.push(firstFullMonth, lastMonth, lastMonth, ...cells.params);
    }
    // Members of join months only partly in the period: their member-months, whole order months.
    const partial: [Date, Date][] =
      firstFullMonth < lastMonth
        ? [[query.from, monthStart(firstFullMonth)], [monthStart(lastMonth), query.to]]
        : [[query.from, query.to]];
    for (const [start, end] of partial.filter(([start, end]) => start < end)) {
      parts.push(`select growth_month(g.joined_at), mm.month - growth_month(g.joined_at), count(*)
                  from growth_members g join growth_member_months mm on mm.member_id = g.member_id
                  where g.joined_at >= ? and g.joined_at < ? and mm.month >= growth_month(g.joined_at) and mm.month < ?${members.sql}
                  group by 1, 2`);
      params.push(start, end, lastMonth, ...members.params);
    }
    // The month of `to` up to `to`, when `to` is not a month start: from the orders.
    if (!isMonthStart(query.to)) {
      parts.push(`select growth_month(g.joined_at), ? - growth_month(g.joined_at), count(distinct o.member_id)
                  from orders o join growth_members g on g.member_id = o.member_id
                  where o.placed_at >= ? and o.placed_at < ? and g.joined_at >= ? and g.joined_at < ?${members.sql}
                  group by 1`);
      params.push(lastMonth, monthStart(lastMonth), query.to, query.from, query.to, ...members.params);
    }
    const rows = await this.read<{ month_index: number; month_offset: number; members: string }>(scope, parts.join('\nunion all\n'), params);
    const month = (index: number) => `${Math.floor((index - 1) / 12)}-${String(((index - 1) % 12) + 1).padStart(2, '0')}`;
    const sizes = rows.filter((row) => row.month_offset === -1).map((row) => ({ month: month(row.month_index), members: Number(row.members) }));
    const active = new Map<string, { month: string; offset: number; members: number }>();
    for (const row of rows.filter((row) => row.month_offset >= 0)) {
      const key = `${row.month_index}:${row.month_offset}`;
      const cell = active.get(key) ?? { month: month(row.month_index), offset: row.month_offset, members: 0 };
      cell.members += Number(row.members);
      active.set(key, cell);
    }
    return cohortGrid(sizes, [...active.values()], monthOf(new Date(query.to.getTime() - 1)));
  }

  protected override async purchaseCounts(scope: RequestScope, query: GrowthQuery, previousFrom: Date): Promise<{ buyers: number; repeatBuyers: number; previousBuyers: number; churned: number }> {
    const { buyers, repeatBuyers, previousBuyers, churned } = await this.memberWindows(scope, query);
    void previousFrom;
    return { buyers, repeatBuyers, previousBuyers, churned };
  }

  /** Whole months from the month totals; the part of a month before an edge that is not a month start from the orders. */
  protected override async revenueMonths(scope: RequestScope, query: GrowthQuery): Promise<Map<number, RevenueTotals>> {
    const members = memberFilter(query, 'g');
    const join = members.sql ? ' join growth_members g on g.member_id = o.member_id' : '';
    const totalsFilter = memberFilter(query, 't');
    const firstFullMonth = isMonthStart(query.from) ? monthIndex(query.from) : monthIndex(query.from) + 1;
    const lastMonth = monthIndex(query.to);
    const parts: string[] = [];
    const params: unknown[] = [];
    const direct = (start: Date, end: Date) => {
      parts.push(`select growth_month(o.placed_at) as month, count(*)::numeric as orders, sum(o.base_amount_minor)::numeric as gross, sum(${netBaseAmountSql('o')})::numeric as net
                  from orders o${join} where o.placed_at >= ? and o.placed_at < ?${members.sql} group by 1`);
      params.push(start, end, ...members.params);
    };
    if (firstFullMonth < lastMonth) {
      parts.push(`select t.month, sum(t.orders)::numeric as orders, sum(t.gross)::numeric as gross, sum(t.net)::numeric as net
                  from growth_month_totals t where t.month >= ? and t.month < ?${totalsFilter.sql} group by 1`);
      params.push(firstFullMonth, lastMonth, ...totalsFilter.params);
      if (query.from < monthStart(firstFullMonth)) direct(query.from, monthStart(firstFullMonth));
      if (monthStart(lastMonth) < query.to) direct(monthStart(lastMonth), query.to);
    } else {
      direct(query.from, query.to);
    }
    const rows = await this.read<{ month: number; orders: string; gross: string; net: string }>(
      scope,
      `select month, sum(orders)::text as orders, sum(gross)::text as gross, sum(net)::text as net from (${parts.join('\nunion all\n')}) x group by month`,
      params,
    );
    return new Map(rows.map((row) => [Number(row.month), { orders: Number(row.orders), gmvMinor: BigInt(row.gross), netRevenueMinor: BigInt(row.net) }]));
  }

  override async revenue(scope: RequestScope, query: GrowthQuery): Promise<RevenueResult> {
    const members = memberFilter(query, 'g');
    const [totals, [joined], windows] = await Promise.all([
      this.revenueTotals(scope, query),
      this.read<{ members: string }>(scope, `select count(*) as members from growth_members g where g.joined_at < ?${members.sql}`, [query.to, ...members.params]),
      this.memberWindows(scope, query),
    ]);
    return {
      orders: totals.orders,
      gmvMinor: totals.gmvMinor,
      netRevenueMinor: totals.netRevenueMinor,
      aov: moneyRatio(totals.netRevenueMinor, totals.orders),
      revenuePerMember: moneyRatio(totals.netRevenueMinor, Number(joined.members)),
      highValueShare: ratio(windows.highValue, windows.spenders),
      highValueThresholdMinor: scope.config.highValueThresholdMinor,
    };
  }

  /**
   * Member-days and distinct active members from the activity pairs (see the growth rollups migration): a member is
   * counted once in a span's MAU by its first active day in the span, the pair whose previous day is before the span.
   */
  protected override async activityCounts(scope: RequestScope, query: GrowthQuery, spans: ActivitySpan[]): Promise<{ memberDays: number; mau: number }[]> {
    const filter = memberFilter(query, 'p');
    const values = spanValues(spans);
    const rows = await this.read<{ member_days: string; mau: string }>(
      scope,
      `select (select coalesce(sum(p.members), 0) from growth_activity_pairs p where p.day >= s.day_from and p.day < s.day_to${filter.sql}) as member_days,
              (select coalesce(sum(p.members), 0) from growth_activity_pairs p where p.day >= s.mau_from and p.day < s.mau_to and p.prev_day < s.mau_from${filter.sql}) as mau
       from ${values.sql} order by s.i`,
      [...filter.params, ...filter.params, ...values.params],
    );
    return rows.map((row) => ({ memberDays: Number(row.member_days), mau: Number(row.mau) }));
  }

  /**
   * Per member, from its running totals: orders in the period and in the previous one (repeat purchases, churn),
   * orders and net spend in the 12 months before `to` (high-value share). One scan of growth_members; the part of
   * a month before an edge that is not a month start comes from the orders of that part.
   */
  private memberWindows(scope: RequestScope, query: GrowthQuery): Promise<MemberWindows> {
    const key = `${query.from.toISOString()}|${query.to.toISOString()}|${query.market}|${query.channel}`;
    let windows = memberWindowsOfRequest.get(scope);
    if (!windows) {
      windows = new Map();
      memberWindowsOfRequest.set(scope, windows);
    }
    let pending = windows.get(key);
    if (!pending) {
      pending = this.readMemberWindows(scope, query);
      windows.set(key, pending);
    }
    return pending;
  }

  private async readMemberWindows(scope: RequestScope, query: GrowthQuery): Promise<MemberWindows> {
    const previousFrom = new Date(query.from.getTime() - (query.to.getTime() - query.from.getTime()));
    const yearBefore = addMonths(query.to, -12);
    const edges = { p: previousFrom, f: query.from, t: query.to, y: yearBefore };
    const unaligned = (Object.entries(edges) as [keyof typeof edges, Date][]).filter(([, at]) => !isMonthStart(at));
    const filter = memberFilter(query, 'g');
    const params: unknown[] = [];
    let edgeSql = '';
    if (unaligned.length > 0) {
      const columns = unaligned.map(
        ([name]) =>
          `count(*) filter (where o.placed_at >= ? and o.placed_at < ?) as ${name}_orders,
           coalesce(sum(${netBaseAmountSql('o')}) filter (where o.placed_at >= ? and o.placed_at < ?), 0) as ${name}_net`,
      );
      const ranges = unaligned.map(() => '(o.placed_at >= ? and o.placed_at < ?)');
      edgeSql = `with edges as (select o.member_id, ${columns.join(', ')} from orders o where ${ranges.join(' or ')} group by o.member_id)\n`;
      for (const [, at] of unaligned) params.push(monthStart(monthIndex(at)), at, monthStart(monthIndex(at)), at);
      for (const [, at] of unaligned) params.push(monthStart(monthIndex(at)), at);
    }
    // Orders (net spend) placed before an edge: whole months before its month from the running totals, plus the
    // edge's own month up to it.
    const before = (name: keyof typeof edges, column: 'orders' | 'net') => {
      const month = monthIndex(edges[name]);
      const whole = `coalesce(g.cum_${column}[least(${month} - g.base_month, cardinality(g.cum_${column}))], 0)`;
      return unaligned.some(([edge]) => edge === name) ? `(${whole} + coalesce(e.${name}_${column}, 0))` : whole;
    };
    const [row] = await this.read<{ buyers: string; repeat_buyers: string; previous_buyers: string; churned: string; spenders: string; high_value: string }>(
      scope,
      `${edgeSql}select count(*) filter (where current_orders >= 1) as buyers,
              count(*) filter (where current_orders >= 2) as repeat_buyers,
              count(*) filter (where previous_orders >= 1) as previous_buyers,
              count(*) filter (where previous_orders >= 1 and current_orders = 0) as churned,
              count(*) filter (where year_orders >= 1) as spenders,
              count(*) filter (where year_orders >= 1 and year_net > ?) as high_value
       from (
         select ${before('t', 'orders')} - ${before('f', 'orders')} as current_orders,
                ${before('f', 'orders')} - ${before('p', 'orders')} as previous_orders,
                ${before('t', 'orders')} - ${before('y', 'orders')} as year_orders,
                ${before('t', 'net')} - ${before('y', 'net')} as year_net
         from growth_members g${edgeSql ? ' left join edges e on e.member_id = g.member_id' : ''}
         where g.base_month is not null${filter.sql}
       ) w`,
      [...params, scope.config.highValueThresholdMinor.toString(), ...filter.params],
    );
    return {
      buyers: Number(row.buyers),
      repeatBuyers: Number(row.repeat_buyers),
      previousBuyers: Number(row.previous_buyers),
      churned: Number(row.churned),
      spenders: Number(row.spenders),
      highValue: Number(row.high_value),
    };
  }
}
