import type { EntityManager } from '@mikro-orm/postgresql';
import { countLtvRun } from '../../observability/domain-metrics';
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
  expectedPurchasesInFrequencyOrder,
  fitBgNbdColumns,
  fitGammaGammaColumns,
  FrequencyColumns,
  GammaGammaParams,
  MonetaryColumns,
  orderByFrequencyThen,
  probabilityAlive,
  reorderColumns,
} from './btyd';
import { BinaryRows, copyNumbersIn, copyServed, readNumbers, RUN_SETTINGS, sideConnection, withRunSetting } from './ltv-copy';
import { percentileContOfCounts, tierPercentileRanks, WEEKS_PER_YEAR } from './ltv-policy';
import { LtvRunStatus } from './ltv-run.entity';
import { buildRfmTable, dropRfmTable, PartRows, RFM_SPLIT_FROM_MEMBERS, RFM_TABLE, RfmRow } from './rfm';
import { enqueueLtvTierChanges } from '../webhooks/events';
import { isLockTimeout } from '../../db/errors';
import { atRiskIndexSql } from './member-ltv.entity';

/*
 * The LTV run: RFM in SQL, the fits, the closed forms once per distinct (x, t_x, T), every member scored and
 * written back by set-based statements.
 *
 * One run at a time, on any number of replicas: the whole run is ONE transaction on one connection that first
 * takes a transaction-scoped PostgreSQL advisory lock (LTV_LOCK_KEY). A second run WAITS for the first to
 * finish, then runs (recomputeLtv); the nightly job only tries the lock and skips when another replica holds it.
 * Everything the run needs (its working tables, its COPY streams) lives on that one connection. The working tables
 * (ltv_rfm, ltv_triplets, member_ltv_next) are unlogged or new tables created inside the transaction, not temporary
 * ones: PostgreSQL's parallel workers, which the scoring uses, cannot read temporary tables. No other session sees
 * them; a rollback removes them, and the run drops the first two before it commits. The one exception
 * is the RFM's upper half on a large base (rfm.ts, buildRfmTable): a second connection of the pool runs it (and
 * groups its BG/NBD rows) beside the transaction and hands it over through an unlogged table; never on the embedded
 * PGlite, whose one session would make the transaction wait on itself.
 *
 * Memory: members are never loaded as entities or rows. The fits read distinct weighted rows by COPY into typed
 * arrays (FrequencyRows, monetaryRows); the BG/NBD closed forms are evaluated once per distinct (x, t_x, T) and
 * streamed back by COPY a chunk at a time (scoreTriplets); every member is then scored and written inside the
 * database by set-based statements (memberScoring, scoreIntoNextTable).
 * Process memory holds a few numbers per distinct row (about 30 MB at 1M members), not the members. The embedded
 * database serves no COPY: there the same rows go by plain statements.
 *
 * Failure: data the models cannot describe (too few customers, nobody buying twice, uniformly random orders that
 * drive the fit to the edge of the parameter space, scores that are not finite) end in a BtydError; the run is
 * recorded FAILED with that reason, its transaction rolls back (the previous scores stay) and the caller gets an
 * LtvFitFailure carrying the run's id.
 */

/** pg_advisory_xact_lock key of the LTV run ("LTV" in ASCII). */
export const LTV_LOCK_KEY = 0x4c5456;

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
  /** Members from which the RFM runs as two halves at once (default RFM_SPLIT_FROM_MEMBERS; tests lower it). */
  rfmSplitFrom?: number;
  /** Members sampled for the tier cut-offs the scores are first written with (default CUT_ESTIMATE_MEMBERS; tests lower it). */
  cutEstimateMembers?: number;
  /** Called once the lock is held (tests use it to observe serialisation). */
  onLocked?: () => void;
  /** Called as each phase ends (the bench prints them). */
  onPhase?: (phase: 'rfm' | 'fit rows' | 'BG/NBD fit' | 'Gamma-Gamma fit' | 'triplets' | 'score' | 'write', detail?: string) => void;
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
    const record = await em.transactional(async (tx) => {
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
    if (record) countLtvRun('succeeded');
    return record;
  } catch (error) {
    if (runId.value) countLtvRun('failed');
    if (runId.value) await recordFailure(em, runId.value, runId.startedAt!, options.asOf, error);
    if (error instanceof BtydError && runId.value) throw new LtvFitFailure(error.message, runId.value);
    throw error;
  }
}

async function score(tx: EntityManager, runId: string, startedAt: Date, options: LtvRunOptions): Promise<LtvRunRecord> {
  const digits = minorUnitDigits(options.baseCurrency);
  if (digits === undefined) throw new Error(`unknown base currency ${options.baseCurrency}`);
  const minorPerMajor = 10 ** digits;
  for (const setting of RUN_SETTINGS) await tx.execute(setting);
  const copy = await copyServed(tx);

  const fitRows = new FrequencyRows();
  const { halves, ready } = await buildRfmTable(
    tx,
    options.asOf,
    options.baseCurrency,
    { side: () => sideConnection(tx), splitFrom: options.rfmSplitFrom ?? RFM_SPLIT_FROM_MEMBERS },
    fitRows.fromEachPart,
  );
  options.onPhase?.('rfm', halves === 2 ? 'two halves at once' : 'one statement');
  ready.catch(() => undefined);
  const { unsortedFrequencyColumns, fittedOn } = fitRows.collected();
  if (fittedOn === 0) {
    await ready;
    throw new LtvNoHistoryError(options.asOf, 'orders');
  }
  // ltv_rfm is finished on the run's connection (rfm.ts: the upper half appended, its statistics) while the BG/NBD
  // rows are sorted here; the yield first lets the statements out to the server.
  await new Promise((resolve) => setImmediate(resolve));
  const frequencyColumns = inFrequencyOrder(unsortedFrequencyColumns);
  await ready;
  // The Gamma-Gamma rows are asked for before the BG/NBD rows are fitted, and read after: PostgreSQL groups them
  // meanwhile (the fit holds the event loop; the rows wait in the connection).
  const monetary = monetaryRows(tx, minorPerMajor, copy);
  monetary.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  options.onPhase?.('fit rows', `${frequencyColumns.frequency.length} rows`);
  let bgNbd: BgNbdParams | undefined;
  let bgNbdFailure: unknown;
  try {
    bgNbd = fitBgNbdColumns(frequencyColumns);
  } catch (error) {
    bgNbdFailure = error;
  }
  const { monetaryColumns, repeatBuyers } = await monetary;
  // Too few customers is the reason, whatever the fit made of them.
  checkEnoughCustomers(fittedOn, repeatBuyers);
  if (!bgNbd) throw bgNbdFailure;
  checkPlausibleBgNbd(bgNbd);
  options.onPhase?.('BG/NBD fit', `while the ${monetaryColumns.frequency.length} Gamma-Gamma rows were grouped`);
  const gammaGamma = fitGammaGammaColumns(monetaryColumns);
  checkPlausibleGammaGamma(gammaGamma);
  options.onPhase?.('Gamma-Gamma fit');

  const triplets = await scoreTriplets(tx, bgNbd, frequencyColumns, copy);
  options.onPhase?.('triplets', `${triplets} distinct (x, t_x, T)`);
  const scoring = await memberScoring(tx, gammaGamma, bgNbd, options, minorPerMajor);
  const now = new Date();
  const membersScored = await scoreIntoNextTable(tx, runId, now, scoring, options.settings.tierPercentiles, { ...bgNbd, ...gammaGamma }, copy, {
    membersWithOrders: fittedOn,
    sampled: options.cutEstimateMembers ?? CUT_ESTIMATE_MEMBERS,
  });
  options.onPhase?.('score');

  const finishedAt = await replaceMemberLtv(tx, now);
  await tx.execute(`drop table ${TRIPLETS_TABLE}`);
  await dropRfmTable(tx);
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
 * with an order (FrequencyRows), one per distinct (x, repeat value) for Gamma-Gamma over repeat buyers with a
 * positive repeat value, in base-currency MAJOR units (monetaryRows: so v reads in currency units, as in the
 * literature). Members are grouped only where their rows are identical, so the weighted likelihood is exactly the
 * member-by-member one. Read by COPY into typed arrays (a few bytes per distinct row), then sorted here by frequency
 * (what the fits and the closed forms want: a counting sort) and by the other values (so the same rows always sum
 * in the same order): sorting in the statement cost as much as the grouping. The BG/NBD rows are grouped in each
 * half of the RFM on its own connection as soon as it is built (FrequencyRows; 0.6 s in one statement at 1M).
 */
class FrequencyRows {
  private readonly rows = new GrowingColumns(4);

  /** Asked of each part of the RFM as it is built (buildRfmTable): the halves group their own members. */
  readonly fromEachPart: PartRows = {
    select: (table) => `select frequency, recency_weeks, age_weeks, count(*) as members from ${table} where order_count > 0 group by 1, 2, 3`,
    types: ['int4', 'float8', 'float8', 'int8'],
    onRow: (values) => this.rows.push(values[0], values[1], values[2], values[3]),
  };

  /** The rows read, unsorted (a (x, t_x, T) can come twice, once from each half: inFrequencyOrder makes it one). */
  collected() {
    const [frequencies, recencies, ages, frequencyWeights] = this.rows.columns();
    const unsortedFrequencyColumns: FrequencyColumns = { frequency: frequencies, recency: recencies, T: ages, weight: frequencyWeights };
    return { unsortedFrequencyColumns, fittedOn: frequencyWeights.reduce((sum, weight) => sum + weight, 0) };
  }
}

/** The rows sorted (orderByFrequencyThen), equal (x, t_x, T) made one row with their weights summed. */
function inFrequencyOrder(columns: FrequencyColumns): FrequencyColumns {
  const { frequency, recency, T, weight } = reorderColumns(columns, orderByFrequencyThen(columns.frequency, columns.recency, columns.T));
  let kept = 0;
  for (let i = 0; i < frequency.length; i++) {
    if (kept > 0 && frequency[i] === frequency[kept - 1] && recency[i] === recency[kept - 1] && T[i] === T[kept - 1]) {
      weight[kept - 1] += weight[i];
      continue;
    }
    frequency[kept] = frequency[i];
    recency[kept] = recency[i];
    T[kept] = T[i];
    weight[kept] = weight[i];
    kept++;
  }
  return { frequency: frequency.subarray(0, kept), recency: recency.subarray(0, kept), T: T.subarray(0, kept), weight: weight.subarray(0, kept) };
}

async function monetaryRows(tx: EntityManager, minorPerMajor: number, copy: boolean) {
  const monetary = new GrowingColumns(3);
  await readNumbers(
    tx,
    copy,
    // Sorted by the statement (while the process fits the BG/NBD rows), so orderByFrequencyThen finds them in order.
    `select frequency, repeat_minor, count(*) from ${RFM_TABLE} where frequency > 0 and repeat_minor > 0 group by 1, 2 order by 1, 2`,
    ['int4', 'int8', 'int8'],
    (values) => monetary.push(values[0], values[1] / values[0] / minorPerMajor, values[2]),
  );
  const [monetaryFrequencies, values, monetaryWeights] = monetary.columns();
  const monetaryColumns = reorderColumns<MonetaryColumns>({ frequency: monetaryFrequencies, monetary: values, weight: monetaryWeights }, orderByFrequencyThen(monetaryFrequencies, values));
  return { monetaryColumns, repeatBuyers: monetaryWeights.reduce((sum, weight) => sum + weight, 0) };
}

/** Parallel Float64Array columns that double as rows are pushed. */
class GrowingColumns {
  private arrays: Float64Array[];
  private length = 0;

  constructor(width: number) {
    this.arrays = Array.from({ length: width }, () => new Float64Array(1024));
  }

  push(...values: number[]): void {
    if (this.length === this.arrays[0].length) {
      this.arrays = this.arrays.map((array) => {
        const larger = new Float64Array(array.length * 2);
        larger.set(array);
        return larger;
      });
    }
    values.forEach((value, column) => (this.arrays[column][this.length] = value));
    this.length++;
  }

  columns(): Float64Array[] {
    return this.arrays.map((array) => array.slice(0, this.length));
  }
}

/** Triplets scored and sent per chunk (COPY lines, or one insert of arrays on the embedded database). */
const TRIPLET_CHUNK = 20_000;
const TRIPLETS_TABLE = 'ltv_triplets';

/**
 * The BG/NBD closed forms (P(alive), expected purchases over a year, expected lifespan) once per distinct
 * (x, t_x, T) among members with orders: the fit's own rows, so far fewer evaluations than members. Streamed by
 * binary COPY, a chunk at a time, into a table of the run's that the set-based scoring joins on the exact values. A
 * non-finite value fails the run (BtydError).
 */
async function scoreTriplets(tx: EntityManager, bgNbd: BgNbdParams, columns: FrequencyColumns, copy: boolean): Promise<number> {
  await tx.execute(
    `create unlogged table ${TRIPLETS_TABLE} (frequency int not null, recency_weeks float8 not null, age_weeks float8 not null,
       probability_alive float8 not null, expected_purchases float8 not null, lifespan_weeks float8 not null)`,
  );
  const count = columns.frequency.length;
  const chunks = function* () {
    for (let start = 0; start < count; start += TRIPLET_CHUNK) yield scoreTripletChunk(bgNbd, columns, start, Math.min(count, start + TRIPLET_CHUNK));
  };
  if (copy) {
    const rows = new BinaryRows(['int4', 'float8', 'float8', 'float8', 'float8', 'float8']);
    await copyNumbersIn(tx, TRIPLETS_TABLE, async (write) => {
      for (const chunk of chunks()) {
        for (let i = 0; i < chunk.frequency.length; i++) {
          rows.push([chunk.frequency[i], chunk.recency[i], chunk.T[i], chunk.alive[i], chunk.purchases[i], chunk.lifespan[i]]);
        }
        await write(rows.take());
      }
    });
  } else {
    for (const chunk of chunks()) {
      await tx.execute(
        `insert into ${TRIPLETS_TABLE} select * from unnest(?::int[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[])`,
        [chunk.frequency, chunk.recency, chunk.T, chunk.alive, chunk.purchases, chunk.lifespan].map((values) => arrayLiteral([...values])),
      );
    }
  }
  await tx.execute(`analyze ${TRIPLETS_TABLE}`);
  return count;
}

/** The closed forms for rows [start, end) of the fitting columns. */
function scoreTripletChunk(bgNbd: BgNbdParams, columns: FrequencyColumns, start: number, end: number) {
  const frequency = columns.frequency.subarray(start, end);
  const recency = columns.recency.subarray(start, end);
  const T = columns.T.subarray(start, end);
  const alive = new Float64Array(end - start);
  const purchases = new Float64Array(end - start);
  const lifespan = new Float64Array(end - start);
  const expectedPurchases = expectedPurchasesInFrequencyOrder(bgNbd, WEEKS_PER_YEAR);
  for (let i = 0; i < frequency.length; i++) {
    alive[i] = probabilityAlive(bgNbd, frequency[i], recency[i], T[i]);
    purchases[i] = expectedPurchases(frequency[i], recency[i], T[i]);
    lifespan[i] = expectedLifespanWeeks(bgNbd, frequency[i], recency[i], T[i]);
    if (!(Number.isFinite(alive[i]) && Number.isFinite(purchases[i]) && Number.isFinite(lifespan[i]))) {
      throw new BtydError(
        `scores not finite for x=${frequency[i]}, t_x=${recency[i]}, T=${T[i]} (P(alive), purchases, lifespan = ${alive[i]}, ${purchases[i]}, ${lifespan[i]}) under ${JSON.stringify(bgNbd)}`,
      );
    }
  }
  return { frequency, recency, T, alive, purchases, lifespan };
}

/** A select of every member's scores (the SQL and its parameters), joined from ltv_rfm and the scored triplets. */
interface MemberScoring {
  /** The select over every member, or (`samplePercent`) over a sample of ltv_rfm's pages. */
  sql: (samplePercent?: number) => string;
  params: unknown[];
}

/**
 * Every member's scores as ONE select over ltv_rfm joined with the scored triplets (float8, floored when written),
 * over a sample of members for the estimated tier cut-offs, then over every member by the statement that writes them
 * (scoreIntoNextTable). The same arithmetic, in the same order, as the pure functions of btyd/ and ltv-policy.ts
 * (IEEE doubles in both, so the same values; test/integration/ltv.test.ts compares them):
 * - expected order value (Gamma-Gamma) = p (v + x m) / (p x + q - 1) in major units, m = repeat / x, times
 *   minor-per-major; the population mean p v / (q - 1) for x = 0;
 * - predicted 12 months = expected purchases x expected order value;
 * - purchases per year while alive = 52 (r + x) / (alpha + T);
 * - formula LTV = order value x purchases per year x (lifespan / 52) - CAC; LTV:CAC = gross / CAC (null without CAC);
 * - CAC in base minor units: floor(cost x 10^base digits / (rate x 10^cost digits)), exact in numeric (src/money/fx.ts);
 * - churn risk from P(alive) and the thresholds (ltv-policy churnRiskOf).
 * Members without orders: P(alive) 1, nothing expected, churn LOW. A member with orders whose (x, t_x, T) found no
 * scored triplet (never expected) has no P(alive): member_ltv's NOT NULL fails the run on it.
 */
async function memberScoring(tx: EntityManager, gammaGamma: GammaGammaParams, bgNbd: BgNbdParams, options: LtvRunOptions, minorPerMajor: number): Promise<MemberScoring> {
  if (gammaGamma.q <= 1) throw new BtydError(`Gamma-Gamma: q = ${gammaGamma.q} <= 1, the expected order value is infinite`);
  // A cost is converted only at a rate of its currency (ltv_rfm.acquisition_rate): the currencies with rates are the
  // ones whose scales can matter (reading them off every member of ltv_rfm cost 0.15-0.27 s at 1M members).
  const currencies = await tx.execute<{ currency: string }[]>('select distinct currency from exchange_rates');
  const scales = currencies.flatMap(({ currency }) => {
    const known = minorUnitDigits(currency);
    // 10^digits as an exact numeric literal: PostgreSQL's power() over numeric, once per member, cost more than the rest of the CAC.
    return known === undefined ? [] : [{ currency, scale: `1${'0'.repeat(known)}` }];
  });
  const scaleParameters = scales.flatMap(({ currency, scale }) => [currency, scale]);
  const { p, q, v } = gammaGamma;
  const { r, alpha } = bgNbd;
  const { churnHighBelow, churnMediumBelow } = options.settings;
  // Each cost currency's scale by a CASE over the currencies in ltv_rfm (a join to a table of them cost 50 ms a statement).
  const scaleOf = scales.length === 0 ? 'null::numeric' : `case f.acquisition_cost_currency ${scales.map(() => 'when ? then ?::numeric').join(' ')} end`;
  return {
    sql: (samplePercent) => `
     with base as (
       select f.member_id, f.order_count, f.frequency, f.recency_weeks, f.age_weeks, f.historical_minor,
              case when f.order_count = 0 then 1 else t.probability_alive end as probability_alive,
              coalesce(t.expected_purchases, 0) as expected_purchases,
              coalesce(t.lifespan_weeks, 0) as lifespan_weeks,
              case when f.order_count = 0 then 0::float8
                   when f.frequency = 0 then ((?::float8 * ?::float8) / (?::float8 - 1)) * ?::float8
                   else ((?::float8 * (?::float8 + f.frequency::float8 * ((f.repeat_minor::float8 / f.frequency::float8) / ?::float8)))
                         / (?::float8 * f.frequency::float8 + ?::float8 - 1)) * ?::float8 end as order_value,
              case when f.acquisition_cost_minor is null or f.acquisition_cost_currency is null then null
                   when f.acquisition_cost_currency = ? then f.acquisition_cost_minor::bigint
                   when f.acquisition_rate is null or ${scaleOf} is null then null
                   else floor(f.acquisition_cost_minor::numeric * ?::numeric / (f.acquisition_rate::numeric * ${scaleOf}))::bigint end as cac_minor
       from ${RFM_TABLE} f ${samplePercent === undefined ? '' : `tablesample system (${samplePercent})`}
       left join ${TRIPLETS_TABLE} t on f.order_count > 0 and t.frequency = f.frequency and t.recency_weeks = f.recency_weeks and t.age_weeks = f.age_weeks
     ),
     figures as (
       select base.*,
              expected_purchases * order_value as predicted,
              order_value * ((52 * (?::float8 + frequency::float8)) / (?::float8 + age_weeks)) * (lifespan_weeks / 52) as gross
       from base
     )
     select member_id, order_count, probability_alive, expected_purchases, order_value as expected_order_value, lifespan_weeks,
            predicted as predicted_minor,
            case when order_count = 0 then null else gross - coalesce(cac_minor, 0)::float8 end as formula_minor,
            cac_minor,
            case when order_count = 0 or cac_minor is null or cac_minor = 0 then null else gross / cac_minor::float8 end as ltv_to_cac,
            case when order_count = 0 then 'LOW' when probability_alive < ?::float8 then 'HIGH' when probability_alive < ?::float8 then 'MEDIUM' else 'LOW' end as churn_risk,
            frequency, recency_weeks, age_weeks, historical_minor
     from figures`,
    params: [
      p, v, q, minorPerMajor,
      p, v, minorPerMajor, p, q, minorPerMajor,
      options.baseCurrency, ...scaleParameters, String(minorPerMajor), ...scaleParameters,
      r, alpha,
      churnHighBelow, churnMediumBelow,
    ],
  };
}

/** The table a run fills with every member's scores before it takes member_ltv's place (inside the run's transaction). */
const NEXT_MEMBER_LTV = 'member_ltv_next';

/** Members in the sample whose cut-offs the scores are first written with (scoreIntoNextTable). */
const CUT_ESTIMATE_MEMBERS = 10_000;

/**
 * Every member's scores with their tiers, written into member_ltv_next for replaceMemberLtv to put in member_ltv's
 * place. The tiers: the highest whose cut-off the predicted value (rounded down, as stored) reaches, the VIP, HIGH and
 * MEDIUM cut-offs being percentile_cont of those values over the members with orders (a cumulative share of 0% gives
 * no members: a cut-off above every value), the rule of ltv-policy tierOf. In three steps:
 * - the cut-offs estimated from a sample of about CUT_ESTIMATE_MEMBERS members (pages of ltv_rfm; every member
 *   below that many);
 * - every member's scores written with the estimated tiers by CREATE TABLE AS, which PostgreSQL runs with a parallel
 *   plan (INSERT ... SELECT runs on one core), with member_ltv's columns, types and NOT NULLs (takeMemberLtvShape);
 *   a figure that is not finite cannot be stored (rounded down into bigint: out of range) and fails the run with a
 *   BtydError; a member with orders without a scored triplet fails member_ltv's NOT NULL;
 * - the exact cut-offs from the stored predicted values, grouped (percentileContOfCounts: percentile_cont's value),
 *   and the tiers of the members between an estimated and an exact cut-off corrected (a few thousand rows at 1M).
 * The estimate only decides how many rows the last step rewrites, never a tier. Nothing is written for good until
 * the run commits; a failure rolls it back.
 */
async function scoreIntoNextTable(
  tx: EntityManager,
  runId: string,
  now: Date,
  scoring: MemberScoring,
  topShares: [number, number, number],
  params: BgNbdParams & GammaGammaParams,
  copy: boolean,
  estimate: { membersWithOrders: number; sampled: number },
): Promise<number> {
  const ranks = tierPercentileRanks(topShares);
  const samplePercent = Math.min(100, (100 * estimate.sampled) / Math.max(1, estimate.membersWithOrders));
  const [sample] = await tx.execute<{ cuts: number[] | null }[]>(
    `select percentile_cont(array[?, ?, ?]::float8[]) within group (order by floor(predicted_minor)) filter (where order_count > 0) as cuts
     from (${scoring.sql(samplePercent)}) scores
     where abs(predicted_minor) < 'Infinity'::float8`,
    [...ranks, ...scoring.params],
  );
  const estimatedCuts = tierCuts(topShares, (n) => (sample.cuts === null ? null : Number(sample.cuts[n])));
  let written: { affectedRows: number };
  try {
    written = await tx.execute<{ affectedRows: number }>(
      `create table ${NEXT_MEMBER_LTV} as
       select member_id::uuid as member_id,
              ${tierCaseSql('order_count', 'floor(predicted_minor)')}::text as tier,
              churn_risk::text as churn_risk,
              probability_alive::float8 as probability_alive,
              expected_purchases::float8 as expected_purchases_12m,
              floor(expected_order_value)::bigint as expected_order_value_minor,
              lifespan_weeks::float8 as expected_lifespan_weeks,
              floor(predicted_minor)::bigint as predicted_12m_minor,
              historical_minor::bigint as historical_minor,
              floor(formula_minor)::bigint as formula_ltv_minor,
              cac_minor::bigint as acquisition_cost_minor,
              ltv_to_cac::float8 as ltv_to_cac,
              frequency::int as frequency,
              recency_weeks::float8 as recency_weeks,
              age_weeks::float8 as age_weeks,
              order_count::int as order_count,
              ?::uuid as run_id,
              ?::timestamptz as computed_at
       from (${scoring.sql()}) scores`,
      [...estimatedCuts.map(numberLiteral), runId, now, ...scoring.params],
      'run',
    );
  } catch (error) {
    // floor(x)::bigint of an infinite or NaN figure: 22003 numeric_value_out_of_range.
    if ((error as { code?: string }).code === '22003') throw new BtydError(`scores not finite under ${JSON.stringify(params)}`);
    throw error;
  }
  try {
    await takeMemberLtvShape(tx, NEXT_MEMBER_LTV);
  } catch (error) {
    if ((error as { code?: string }).code === '23502') throw new Error('members with orders found no scored (x, t_x, T)');
    throw error;
  }
  const predicted = new GrowingColumns(2);
  // Grouped by sorting, in parallel (the statement sorts its groups anyway): 0.29 s against 0.40 s for hashing them
  // first at 1M members (about 110,000 distinct values).
  await withRunSetting(tx, 'enable_hashagg', 'off', () =>
    readNumbers(
      tx,
      copy,
      `select predicted_12m_minor as predicted, count(*) as members from ${NEXT_MEMBER_LTV} where order_count > 0 group by 1 order by 1`,
      ['int8', 'int8'],
      (values) => predicted.push(values[0], values[1]),
    ),
  );
  const [values, counts] = predicted.columns();
  const cuts = tierCuts(topShares, (n) => (values.length === 0 ? null : percentileContOfCounts(values, counts, ranks[n])));
  if (cuts.some((cut, n) => cut !== estimatedCuts[n])) {
    const exactTier = tierCaseSql('order_count', 'predicted_12m_minor');
    const cutParameters = cuts.map(numberLiteral);
    await tx.execute(`update ${NEXT_MEMBER_LTV} set tier = ${exactTier} where order_count > 0 and tier <> ${exactTier}`, [...cutParameters, ...cutParameters]);
  }
  return written.affectedRows;
}

/**
 * The VIP, HIGH and MEDIUM cut-offs: Infinity (none reach it) when a tier's cumulative share is 0% or no member has
 * orders (`cutOf` gives null). Passed to statements as numberLiteral text.
 */
function tierCuts(topShares: [number, number, number], cutOf: (n: number) => number | null): number[] {
  let share = 0;
  return topShares.map((tierShare, n) => {
    share += tierShare;
    const cut = share <= 0 ? null : cutOf(n);
    return cut === null || Number.isNaN(cut) ? Infinity : cut;
  });
}

/** ltv-policy tierOf in SQL, with the three cut-offs as parameters; NEW without orders. */
function tierCaseSql(orderCount: string, predicted: string): string {
  return `(case when ${orderCount} = 0 then 'NEW'
                when ${predicted} >= ?::float8 then 'VIP'
                when ${predicted} >= ?::float8 then 'HIGH'
                when ${predicted} >= ?::float8 then 'MEDIUM'
                else 'LOW' end)`;
}

/**
 * Gives `table` (made by CREATE TABLE AS) member_ltv's NOT NULLs, after checking that its columns are member_ltv's:
 * the same names and types in the same order (a column added to member_ltv and not to the scoring fails the run
 * here, not at the swap).
 */
async function takeMemberLtvShape(tx: EntityManager, table: string): Promise<void> {
  const columns = (name: string) =>
    tx.execute<{ name: string; type: string; not_null: boolean }[]>(
      `select attname as name, format_type(atttypid, atttypmod) as type, attnotnull as not_null from pg_attribute
       where attrelid = ?::regclass and attnum > 0 and not attisdropped order by attnum`,
      [name],
    );
  const [target, made] = [await columns('member_ltv'), await columns(table)];
  const shape = (list: { name: string; type: string }[]) => list.map((column) => `${column.name} ${column.type}`).join(', ');
  if (shape(target) !== shape(made)) throw new Error(`the scores' columns (${shape(made)}) are not member_ltv's (${shape(target)})`);
  const notNull = target.filter((column) => column.not_null).map((column) => `alter column ${column.name} set not null`);
  if (notNull.length > 0) await tx.execute(`alter table ${table} ${notNull.join(', ')}`);
}

/** CAC in base minor units at the rate in force at joined_at (as orders are converted); null when unknown. */
export function acquisitionCostInBase(row: Pick<RfmRow, 'acquisition_cost_minor' | 'acquisition_cost_currency' | 'acquisition_rate'>, baseCurrency: string): bigint | null {
  if (row.acquisition_cost_minor === null || row.acquisition_cost_currency === null) return null;
  const minor = BigInt(row.acquisition_cost_minor);
  if (row.acquisition_cost_currency === baseCurrency) return minor;
  if (row.acquisition_rate === null || minorUnitDigits(row.acquisition_cost_currency) === undefined) return null;
  return toBaseCurrency({ minor, currency: row.acquisition_cost_currency }, baseCurrency, parseDecimal(row.acquisition_rate, 'rate')).minor;
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

/**
 * Puts the table scoreIntoNextTable filled in member_ltv's place: its indexes are built once over the whole table
 * and its statistics gathered; then, with the member.ltv_tier_changed events (old tiers against new), it takes
 * member_ltv's place: drop, and renames to the names the migrations gave (the schema stays exactly the entities').
 * Updating every row in place cost 9 s on a fresh table and 16 s on the second run at 1M members (each update
 * writes a new row version and its index entries); this writes each row once. Only the LTV run writes member_ltv,
 * one run at a time (the run lock), so no write is lost between the fill and the swap. Readers wait for the swap
 * only: from the drop to the commit, which follows at once (a prepared statement naming member_ltv is planned again
 * against the new table), and never queue behind the swap for long (lockMemberLtvForSwap).
 */
async function replaceMemberLtv(tx: EntityManager, now: Date): Promise<Date> {
  await tx.execute(`alter table ${NEXT_MEMBER_LTV} add constraint ${NEXT_MEMBER_LTV}_pkey primary key (member_id)`);
  await tx.execute(atRiskIndexSql(NEXT_MEMBER_LTV, `${NEXT_MEMBER_LTV}_at_risk_idx`));
  // Statistics from a smaller sample (9,000 rows instead of 30,000: 0.05 s against 0.18 s at 1M members): member_ltv is
  // read by key and through its at-risk index, and autovacuum analyses the new table in full soon after the commit.
  await withRunSetting(tx, 'default_statistics_target', '30', () => tx.execute(`analyze ${NEXT_MEMBER_LTV}`));
  await enqueueLtvTierChanges(tx, NEXT_MEMBER_LTV, now);
  await lockMemberLtvForSwap(tx);
  await tx.execute('drop table member_ltv');
  await tx.execute(`alter table ${NEXT_MEMBER_LTV} rename to member_ltv`);
  await tx.execute(`alter table member_ltv rename constraint ${NEXT_MEMBER_LTV}_pkey to member_ltv_pkey`);
  await tx.execute(`alter index ${NEXT_MEMBER_LTV}_at_risk_idx rename to member_ltv_at_risk_idx`);
  return now;
}

/**
 * First thing in a REPEATABLE READ (or SERIALIZABLE) transaction that reads member_ltv, before any other statement.
 * A run puts a new table in member_ltv's place (replaceMemberLtv); a snapshot taken before that swap committed would
 * find the new table without its rows (they are younger than the snapshot: PostgreSQL documents table rewrites as
 * not MVCC-safe). Taking the table's share lock before the transaction's snapshot exists means the snapshot comes
 * after any swap that got there first, and a swap that comes later waits for this transaction to end.
 */
export async function holdMemberLtvForSnapshot(tx: EntityManager): Promise<void> {
  await tx.execute('lock table member_ltv in access share mode');
}

/** Tries at taking member_ltv's lock for the swap with a short wait, before the last try that waits as long as needed. */
const SWAP_LOCK_TRIES = 20;
const SWAP_LOCK_WAIT_MS = 100;

/**
 * member_ltv's exclusive lock for the swap, without holding member status up behind a slow reader: a lock request
 * that waits makes every later reader of member_ltv queue behind it, so a reader that holds the table for seconds
 * (an export, a growth query) would stall the member-status call for as long. Each try waits at most 100 ms (the
 * stall readers can see), then gives the lock up (a savepoint) and lets readers through for a moment before the
 * next; the 20th try waits as long as needed, so the run still finishes behind a reader that never lets go.
 */
async function lockMemberLtvForSwap(tx: EntityManager): Promise<void> {
  for (let attempt = 1; attempt < SWAP_LOCK_TRIES; attempt += 1) {
    await tx.execute('savepoint member_ltv_swap');
    try {
      await tx.execute(`set local lock_timeout = '${SWAP_LOCK_WAIT_MS}ms'`);
      await tx.execute('lock table member_ltv in access exclusive mode');
      await tx.execute('set local lock_timeout = default');
      await tx.execute('release savepoint member_ltv_swap');
      return;
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      await tx.execute('rollback to savepoint member_ltv_swap');
      await new Promise((resolve) => setTimeout(resolve, SWAP_LOCK_WAIT_MS * Math.min(attempt, 5)));
    }
  }
  await tx.execute('lock table member_ltv in access exclusive mode');
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
