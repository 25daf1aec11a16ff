import type { EntityManager } from '@mikro-orm/postgresql';
import type { LtvSettings } from '../../config/config';
import { minorUnitDigits } from '../../money/currency';
import { parseDecimal } from '../../money/decimal';
import { toBaseCurrency } from '../../money/fx';
import {
  BgNbdParams,
  BtydError,
  checkEnoughCustomers,
  checkPlausibleBgNbd,
  checkPlausibleGammaGamma,
  expectedLifespanWeeks,
  expectedOrderValue,
  expectedPurchases,
  fitBgNbd,
  fitGammaGamma,
  FrequencyRow,
  GammaGammaParams,
  MonetaryRow,
  probabilityAlive,
} from './btyd';
import { ChurnRisk, churnRiskOf, ltvFigures, purchasesPerYearWhileAlive, tierPercentileRanks, TierThresholds, WEEKS_PER_YEAR } from './ltv-policy';
import { LtvRunStatus } from './ltv-run.entity';
import { buildRfmTable, RFM_TABLE, RfmRow } from './rfm';

/*
 * The LTV run: RFM in SQL, the fits, scoring in batches, the scores written back in one statement.
 *
 * One run at a time, on any number of replicas: the whole run is ONE transaction on one connection that first
 * takes a transaction-scoped PostgreSQL advisory lock (LTV_LOCK_KEY). A second run WAITS for the first to
 * finish, then runs (recomputeLtv); the nightly job only tries the lock and skips when another replica holds it.
 * Everything the run needs (its temporary tables, the cursor) lives on that one connection, so nothing awaits
 * a second connection inside the transaction (which would hang on the embedded PGlite).
 *
 * Memory: members are never loaded as entities. Scoring reads the RFM table through a cursor, BATCH_SIZE rows at
 * a time, and writes each batch to a temporary table; the fits read distinct weighted rows (see fitRows).
 *
 * Failure: data the models cannot describe (too few customers, nobody buying twice, uniformly random orders that
 * drive the fit to the edge of the parameter space, scores that are not finite) end in a BtydError; the run is
 * recorded FAILED with that reason, its transaction rolls back (the previous scores stay) and the caller gets an
 * LtvFitFailure carrying the run's id.
 */

/** pg_advisory_xact_lock key of the LTV run ("LTV" in ASCII). */
export const LTV_LOCK_KEY = 0x4c5456;
const BATCH_SIZE = 5000;
const SCORES_TABLE = 'ltv_scores';
/** Scored BG/NBD triplets remembered within a batch run (bounded: cleared when full). */
const TRIPLET_CACHE_LIMIT = 10_000;

export class LtvNoHistoryError extends Error {
  constructor(asOf: Date, what: string) {
    super(`no ${what} at or before ${asOf.toISOString()}: the LTV models need purchase history`);
    this.name = 'LtvNoHistoryError';
  }
}

/** A run that failed because the models do not fit the data (recorded FAILED with `reason`). */
export class LtvFitFailure extends Error {
  constructor(
    readonly reason: string,
    readonly runId: string,
  ) {
    super(reason);
    this.name = 'LtvFitFailure';
  }
}

export interface LtvRunOptions {
  asOf: Date;
  baseCurrency: string;
  settings: LtvSettings;
  /** Wait for a run in progress (true) or give up and return null at once (false). */
  waitForLock: boolean;
  /** Skip (return null) when a run as of this time or later exists, failed ones included (the nightly job). */
  skipIfRunSince?: Date;
  /** Called once the lock is held (tests use it to observe serialisation). */
  onLocked?: () => void;
  /** Called as each phase ends (the bench prints them). */
  onPhase?: (phase: 'rfm' | 'fit rows' | 'BG/NBD fit' | 'Gamma-Gamma fit' | 'score' | 'write', detail?: string) => void;
}

export interface LtvRunRecord {
  id: string;
  asOf: Date;
  status: LtvRunStatus;
  params: BgNbdParams & GammaGammaParams;
  fittedOn: number;
  membersScored: number;
  startedAt: Date;
  finishedAt: Date;
}

/** Runs the LTV pipeline; null when skipped (lock busy without waiting, or a run already happened). */
export async function runLtv(em: EntityManager, options: LtvRunOptions): Promise<LtvRunRecord | null> {
  const runId = { value: null as string | null, startedAt: null as Date | null };
  try {
    return await em.transactional(async (tx) => {
      if (options.waitForLock) {
        await tx.execute('select pg_advisory_xact_lock(?)', [LTV_LOCK_KEY]);
      } else {
        const [{ locked }] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [LTV_LOCK_KEY]);
        if (!locked) return null;
      }
      if (options.skipIfRunSince) {
        const [{ ran }] = await tx.execute<{ ran: boolean }[]>('select exists (select 1 from ltv_runs where as_of >= ?) as ran', [options.skipIfRunSince]);
        if (ran) return null;
      }
      options.onLocked?.();
      const startedAt = new Date();
      const [run] = await tx.execute<{ id: string }[]>(
        "insert into ltv_runs (id, as_of, status, fitted_on, members_scored, started_at) values (gen_random_uuid(), ?, 'RUNNING', 0, 0, ?) returning id",
        [options.asOf, startedAt],
      );
      runId.value = run.id;
      runId.startedAt = startedAt;
      return await score(tx, run.id, startedAt, options);
    });
  } catch (error) {
    if (runId.value) await recordFailure(em, runId.value, runId.startedAt!, options.asOf, error);
    if (error instanceof BtydError && runId.value) throw new LtvFitFailure(error.message, runId.value);
    throw error;
  }
}

async function score(tx: EntityManager, runId: string, startedAt: Date, options: LtvRunOptions): Promise<LtvRunRecord> {
  const digits = minorUnitDigits(options.baseCurrency);
  if (digits === undefined) throw new Error(`unknown base currency ${options.baseCurrency}`);
  const minorPerMajor = 10 ** digits;

  await buildRfmTable(tx, options.asOf, options.baseCurrency);
  options.onPhase?.('rfm');
  const { frequencyRows, monetaryRows, fittedOn, repeatBuyers } = await fitRows(tx, minorPerMajor);
  if (fittedOn === 0) throw new LtvNoHistoryError(options.asOf, 'orders');
  checkEnoughCustomers(fittedOn, repeatBuyers);
  options.onPhase?.('fit rows', `${frequencyRows.length} + ${monetaryRows.length} rows`);
  const bgNbd = fitBgNbd(frequencyRows);
  checkPlausibleBgNbd(bgNbd);
  options.onPhase?.('BG/NBD fit');
  const gammaGamma = fitGammaGamma(monetaryRows);
  checkPlausibleGammaGamma(gammaGamma);
  options.onPhase?.('Gamma-Gamma fit');

  await tx.execute(
    `create temporary table ${SCORES_TABLE} (
       member_id uuid not null, order_count int not null, probability_alive float8 not null, expected_purchases float8 not null,
       expected_order_value bigint not null, lifespan_weeks float8 not null, predicted_minor bigint not null,
       formula_minor bigint, cac_minor bigint, ltv_to_cac float8, churn_risk text not null,
       frequency int not null, recency_weeks float8 not null, age_weeks float8 not null, historical_minor bigint not null
     ) on commit drop`,
  );
  await tx.execute(`declare ltv_rfm_cursor no scroll cursor for select * from ${RFM_TABLE}`);
  const scorer = new MemberScorer(bgNbd, gammaGamma, options, minorPerMajor);
  let membersScored = 0;
  for (;;) {
    const rows = await tx.execute<RfmRow[]>(`fetch forward ${BATCH_SIZE} from ltv_rfm_cursor`);
    if (rows.length === 0) break;
    await writeScores(tx, rows.map((row) => scorer.score(row)));
    membersScored += rows.length;
  }
  await tx.execute('close ltv_rfm_cursor');
  options.onPhase?.('score');

  const thresholds = await tierThresholds(tx, options.settings.tierPercentiles);
  const finishedAt = await writeMemberLtv(tx, runId, thresholds);
  options.onPhase?.('write');
  await tx.execute(
    `update ltv_runs set status = 'SUCCEEDED', r = ?, alpha = ?, a = ?, b = ?, p = ?, q = ?, v = ?, fitted_on = ?, members_scored = ?, finished_at = ?
     where id = ?`,
    [bgNbd.r, bgNbd.alpha, bgNbd.a, bgNbd.b, gammaGamma.p, gammaGamma.q, gammaGamma.v, fittedOn, membersScored, finishedAt, runId],
  );
  return {
    id: runId,
    asOf: options.asOf,
    status: LtvRunStatus.SUCCEEDED,
    params: { ...bgNbd, ...gammaGamma },
    fittedOn,
    membersScored,
    startedAt,
    finishedAt,
  };
}

/**
 * The fitting data as distinct weighted rows: one per distinct exact (x, t_x, T) for BG/NBD over every member
 * with an order, one per distinct (x, repeat value) for Gamma-Gamma over repeat buyers with a positive repeat
 * value, in base-currency MAJOR units (so v reads in currency units, as in the literature). Members are grouped
 * only where their rows are identical, so the weighted likelihood is exactly the member-by-member one.
 */
async function fitRows(tx: EntityManager, minorPerMajor: number) {
  const frequencyRows = (
    await tx.execute<{ frequency: number; recency: number; t: number; weight: string }[]>(
      `select frequency, recency_weeks as recency, age_weeks as t, count(*) as weight
       from ${RFM_TABLE} where order_count > 0 group by 1, 2, 3`,
    )
  ).map((row): FrequencyRow => ({ frequency: row.frequency, recency: row.recency, T: row.t, weight: Number(row.weight) }));
  const monetaryRows = (
    await tx.execute<{ frequency: number; repeat_minor: string; weight: string }[]>(
      `select frequency, repeat_minor, count(*) as weight from ${RFM_TABLE} where frequency > 0 and repeat_minor > 0 group by 1, 2`,
    )
  ).map((row): MonetaryRow => ({ frequency: row.frequency, monetary: Number(row.repeat_minor) / row.frequency / minorPerMajor, weight: Number(row.weight) }));
  const fittedOn = frequencyRows.reduce((sum, row) => sum + row.weight, 0);
  const repeatBuyers = monetaryRows.reduce((sum, row) => sum + row.weight, 0);
  return { frequencyRows, monetaryRows, fittedOn, repeatBuyers };
}

interface MemberScore {
  memberId: string;
  orderCount: number;
  probabilityAlive: number;
  expectedPurchases: number;
  expectedOrderValueMinor: number;
  lifespanWeeks: number;
  predictedMinor: bigint;
  formulaMinor: bigint | null;
  cacMinor: bigint | null;
  ltvToCac: number | null;
  churnRisk: ChurnRisk;
  frequency: number;
  recencyWeeks: number;
  ageWeeks: number;
  historicalMinor: bigint;
}

/** Applies the pure model functions to one RFM row (BG/NBD results cached per distinct triplet, bounded). */
class MemberScorer {
  private readonly triplets = new Map<string, { alive: number; purchases: number; lifespan: number }>();

  constructor(
    private readonly bgNbd: BgNbdParams,
    private readonly gammaGamma: GammaGammaParams,
    private readonly options: LtvRunOptions,
    private readonly minorPerMajor: number,
  ) {}

  score(row: RfmRow): MemberScore {
    const cacMinor = acquisitionCostInBase(row, this.options.baseCurrency);
    const common = {
      memberId: row.member_id,
      orderCount: row.order_count,
      cacMinor,
      frequency: row.frequency,
      recencyWeeks: row.recency_weeks,
      ageWeeks: row.age_weeks,
      historicalMinor: BigInt(row.historical_minor),
    };
    if (row.order_count === 0) {
      // Not a customer yet: BG/NBD describes members from their first purchase on (no dropout before it).
      return {
        ...common,
        probabilityAlive: 1,
        expectedPurchases: 0,
        expectedOrderValueMinor: 0,
        lifespanWeeks: 0,
        predictedMinor: 0n,
        formulaMinor: null,
        ltvToCac: null,
        churnRisk: ChurnRisk.LOW,
      };
    }
    const bg = this.bgNbdScores(row.frequency, row.recency_weeks, row.age_weeks);
    const monetary = row.frequency > 0 ? Number(row.repeat_minor) / row.frequency / this.minorPerMajor : 0;
    const expectedOrderValueMinor = expectedOrderValue(this.gammaGamma, row.frequency, monetary) * this.minorPerMajor;
    const inputs = {
      expectedOrderValueMinor,
      expectedPurchases12m: bg.purchases,
      purchasesPerYear: purchasesPerYearWhileAlive(this.bgNbd, row.frequency, row.age_weeks),
      expectedLifespanWeeks: bg.lifespan,
      acquisitionCostMinor: cacMinor,
    };
    if (![bg.alive, ...Object.values(inputs).filter((value) => typeof value === 'number')].every(Number.isFinite)) {
      const model = JSON.stringify({ ...this.bgNbd, ...this.gammaGamma });
      throw new BtydError(`scores not finite for member ${row.member_id} (x=${row.frequency}, t_x=${row.recency_weeks}, T=${row.age_weeks}, P(alive)=${bg.alive}, ${JSON.stringify(inputs, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}) under ${model}`);
    }
    const figures = ltvFigures(inputs);
    return {
      ...common,
      probabilityAlive: bg.alive,
      expectedPurchases: bg.purchases,
      expectedOrderValueMinor,
      lifespanWeeks: bg.lifespan,
      predictedMinor: figures.predicted12mMinor,
      formulaMinor: figures.formulaLtvMinor,
      ltvToCac: figures.ltvToCac,
      churnRisk: churnRiskOf(bg.alive, this.options.settings),
    };
  }

  private bgNbdScores(frequency: number, recency: number, age: number) {
    const key = `${frequency}:${recency}:${age}`;
    let scores = this.triplets.get(key);
    if (!scores) {
      scores = {
        alive: probabilityAlive(this.bgNbd, frequency, recency, age),
        purchases: expectedPurchases(this.bgNbd, WEEKS_PER_YEAR, frequency, recency, age),
        lifespan: expectedLifespanWeeks(this.bgNbd, frequency, recency, age),
      };
      if (this.triplets.size >= TRIPLET_CACHE_LIMIT) this.triplets.clear();
      this.triplets.set(key, scores);
    }
    return scores;
  }
}

/** CAC in base minor units at the rate in force at joined_at (as orders are converted); null when unknown. */
export function acquisitionCostInBase(row: Pick<RfmRow, 'acquisition_cost_minor' | 'acquisition_cost_currency' | 'acquisition_rate'>, baseCurrency: string): bigint | null {
  if (row.acquisition_cost_minor === null || row.acquisition_cost_currency === null) return null;
  const minor = BigInt(row.acquisition_cost_minor);
  if (row.acquisition_cost_currency === baseCurrency) return minor;
  if (row.acquisition_rate === null || minorUnitDigits(row.acquisition_cost_currency) === undefined) return null;
  return toBaseCurrency({ minor, currency: row.acquisition_cost_currency }, baseCurrency, parseDecimal(row.acquisition_rate, 'rate')).minor;
}

/** One multi-row insert per batch, each column passed as one array. */
async function writeScores(tx: EntityManager, scores: MemberScore[]): Promise<void> {
  const column = (pick: (score: MemberScore) => string | number | bigint | null) => arrayLiteral(scores.map(pick));
  await tx.execute(
    `insert into ${SCORES_TABLE}
     select * from unnest(?::uuid[], ?::int[], ?::float8[], ?::float8[], ?::bigint[], ?::float8[], ?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::text[],
                          ?::int[], ?::float8[], ?::float8[], ?::bigint[])`,
    [
      column((s) => s.memberId),
      column((s) => s.orderCount),
      column((s) => s.probabilityAlive),
      column((s) => s.expectedPurchases),
      column((s) => BigInt(Math.floor(s.expectedOrderValueMinor))),
      column((s) => s.lifespanWeeks),
      column((s) => s.predictedMinor),
      column((s) => s.formulaMinor),
      column((s) => s.cacMinor),
      column((s) => s.ltvToCac),
      column((s) => s.churnRisk),
      column((s) => s.frequency),
      column((s) => s.recencyWeeks),
      column((s) => s.ageWeeks),
      column((s) => s.historicalMinor),
    ],
  );
}

/** A PostgreSQL array literal of plain values (uuids, numbers, bigints, enum words): none needs quoting. */
function arrayLiteral(values: (string | number | bigint | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : typeof value === 'number' ? numberLiteral(value) : String(value))).join(',')}}`;
}

function numberLiteral(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/** The VIP, HIGH and MEDIUM cut-offs: percentile_cont of predicted value over the members with orders. */
async function tierThresholds(tx: EntityManager, topShares: [number, number, number]): Promise<TierThresholds> {
  const [vip, high, medium] = tierPercentileRanks(topShares);
  const [row] = await tx.execute<{ vip: number | null; high: number | null; medium: number | null }[]>(
    `select percentile_cont(?::float8) within group (order by predicted_minor) as vip,
            percentile_cont(?::float8) within group (order by predicted_minor) as high,
            percentile_cont(?::float8) within group (order by predicted_minor) as medium
     from ${SCORES_TABLE} where order_count > 0`,
    [vip, high, medium],
  );
  const [vipShare, highShare, mediumShare] = topShares;
  const cut = (value: number | null, cumulativeShare: number) => (value === null || cumulativeShare <= 0 ? Infinity : value);
  return { vip: cut(row.vip, vipShare), high: cut(row.high, vipShare + highShare), medium: cut(row.medium, vipShare + highShare + mediumShare) };
}

/**
 * Replaces every member's row in member_ltv in one statement, tiers included (the rule of ltv-policy tierOf).
 * A cumulative share of 0% gives no members (a cut-off above every value).
 */
async function writeMemberLtv(tx: EntityManager, runId: string, thresholds: TierThresholds): Promise<Date> {
  const now = new Date();
  await tx.execute(
    `insert into member_ltv (member_id, tier, churn_risk, probability_alive, expected_purchases_12m, expected_order_value_minor,
                             expected_lifespan_weeks, predicted_12m_minor, historical_minor, formula_ltv_minor, acquisition_cost_minor,
                             ltv_to_cac, frequency, recency_weeks, age_weeks, order_count, run_id, computed_at)
     select member_id,
            case when order_count = 0 then 'NEW'
                 when predicted_minor >= ?::float8 then 'VIP'
                 when predicted_minor >= ?::float8 then 'HIGH'
                 when predicted_minor >= ?::float8 then 'MEDIUM'
                 else 'LOW' end,
            churn_risk, probability_alive, expected_purchases, expected_order_value, lifespan_weeks, predicted_minor, historical_minor,
            formula_minor, cac_minor, ltv_to_cac, frequency, recency_weeks, age_weeks, order_count, ?, ?
     from ${SCORES_TABLE}
     on conflict (member_id) do update set
       tier = excluded.tier, churn_risk = excluded.churn_risk, probability_alive = excluded.probability_alive,
       expected_purchases_12m = excluded.expected_purchases_12m, expected_order_value_minor = excluded.expected_order_value_minor,
       expected_lifespan_weeks = excluded.expected_lifespan_weeks, predicted_12m_minor = excluded.predicted_12m_minor,
       historical_minor = excluded.historical_minor, formula_ltv_minor = excluded.formula_ltv_minor,
       acquisition_cost_minor = excluded.acquisition_cost_minor, ltv_to_cac = excluded.ltv_to_cac, frequency = excluded.frequency,
       recency_weeks = excluded.recency_weeks, age_weeks = excluded.age_weeks, order_count = excluded.order_count,
       run_id = excluded.run_id, computed_at = excluded.computed_at`,
    [cutOff(thresholds.vip), cutOff(thresholds.high), cutOff(thresholds.medium), runId, now],
  );
  return now;
}

function cutOff(value: number): string {
  return numberLiteral(value);
}

/** A failed run is recorded after its transaction rolled back (on a fresh connection: no transaction is open). */
async function recordFailure(em: EntityManager, runId: string, startedAt: Date, asOf: Date, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await em
    .fork()
    .execute(
      "insert into ltv_runs (id, as_of, status, fitted_on, members_scored, started_at, finished_at, error) values (?, ?, 'FAILED', 0, 0, ?, ?, ?)",
      [runId, asOf, startedAt, new Date(), message.slice(0, 2000)],
    )
    .catch(() => undefined);
}
