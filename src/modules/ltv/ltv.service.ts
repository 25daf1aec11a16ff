import { BadUserInputError, LtvFitFailedError } from '../../errors';
import type { StatusScope } from '../../graphql/context';
import { MoneyView } from '../../graphql/money.types';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import type { AuditService } from '../audit/audit.service';
import type { Member } from '../members/member.entity';
import type { LtvScore } from '../status/member-status';
import { ChurnRisk } from './ltv-policy';
import { LtvFitFailure, LtvNoHistoryError, LtvRunRecord, runLtv } from './ltv-run';
import { LtvModelView, LtvProfileView, LtvRunAttemptView, LtvRunView } from './ltv.types';
import { LtvRun, LtvRunStatus } from './ltv-run.entity';


/** Tiers that count as high value for the churn early warning. */
const HIGH_VALUE_TIERS = ['VIP', 'HIGH'];

/** LTV runs and reads: recomputeLtv (admin), the model, Member.ltv and the members at risk (support). */
export class LtvService {
  constructor(private readonly audit: AuditService) {}

  /**
   * Refits and rescores every member as of `asOf` (default now). Runs one at a time across replicas: a call made
   * while another run is in progress waits for it to finish, then runs.
   */
  async recompute(scope: StatusScope, asOf: Date | null | undefined): Promise<LtvRunView> {
    const at = asOf ?? new Date();
    if (Number.isNaN(at.getTime())) throw new BadUserInputError('asOf', 'is not a time');
    if (at.getTime() > Date.now() + 60_000) throw new BadUserInputError('asOf', 'must not be in the future');
    let run: LtvRunRecord | null;
    try {
      run = await runLtv(scope.em.fork(), { asOf: at, baseCurrency: scope.config.baseCurrency, settings: scope.config.ltv, waitForLock: true });
    } catch (error) {
      if (error instanceof LtvNoHistoryError) throw new BadUserInputError('asOf', error.message);
      if (error instanceof LtvFitFailure) throw new LtvFitFailedError(error.reason, error.runId);
      throw error;
    }
    if (!run) throw new Error('the LTV run was skipped although it waited for the lock');
    await this.audit.record(scope, 'ltv.recompute', [null], { runId: run.id, asOf: at.toISOString(), membersScored: run.membersScored });
    return runView(run);
  }

  /** The parameters of the latest successful run; null before the first one. */
  async model(scope: StatusScope): Promise<LtvModelView | null> {
    const run = await scope.em.findOne(LtvRun, { status: LtvRunStatus.SUCCEEDED }, { orderBy: { finishedAt: 'desc', id: 'desc' } });
    return run ? modelView({ r: run.r!, alpha: run.alpha!, a: run.a!, b: run.b!, p: run.p!, q: run.q!, v: run.v!, fitted_on: run.fittedOn, as_of: run.asOf }) : null;
  }

  /** The latest runs, newest first, failed ones with their error (admin). */
  async runs(scope: StatusScope, first: number): Promise<LtvRunAttemptView[]> {
    const runs = await scope.em.find(LtvRun, {}, { orderBy: { startedAt: 'desc', id: 'desc' }, limit: first });
    return runs.map((run) =>
      Object.assign(new LtvRunAttemptView(), {
        id: run.id,
        asOf: run.asOf,
        status: run.status,
        error: run.error,
        fittedOn: run.fittedOn,
        membersScored: run.membersScored,
        model: run.status === LtvRunStatus.SUCCEEDED
          ? modelView({ r: run.r!, alpha: run.alpha!, a: run.a!, b: run.b!, p: run.p!, q: run.q!, v: run.v!, fitted_on: run.fittedOn, as_of: run.asOf })
          : null,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      }),
    );
  }

  /**
   * The churn early warning: members in a high-value LTV tier (VIP, HIGH) with HIGH churn risk, highest predicted
   * value first (staff only; audited per member returned).
   */
  async membersAtRisk(scope: StatusScope, page: PageRequest): Promise<Connection<Member>> {
    const after = page.after ? parseRiskCursor(page.after) : null;
    const rows = await scope.em.execute<{ member_id: string; predicted_12m_minor: string }[]>(
      `select member_id, predicted_12m_minor from member_ltv
       where churn_risk = 'HIGH' and tier in ('VIP', 'HIGH') ${after ? 'and (predicted_12m_minor, member_id) < (?, ?)' : ''}
       order by predicted_12m_minor desc, member_id desc limit ?`,
      after ? [after.predicted, after.memberId, page.first + 1] : [page.first + 1],
    );
    const members = await Promise.all(rows.map((row) => scope.memberStatus.find('id', row.member_id)));
    const found = rows.flatMap((row, index) => {
      const member = members[index];
      return member && !(member instanceof Error) ? [{ member, key: `${row.predicted_12m_minor}:${row.member_id}` }] : [];
    });
    const connection = toConnection(found, page, (entry) => entry.key);
    await this.audit.record(
      scope,
      'member.at-risk',
      connection.edges.map((edge) => edge.node.member.id),
      { tiers: HIGH_VALUE_TIERS },
    );
    return { pageInfo: connection.pageInfo, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: edge.node.member })) };
  }

}

interface ModelRow {
  r: number;
  alpha: number;
  a: number;
  b: number;
  p: number;
  q: number;
  v: number;
  fitted_on: number;
  as_of: Date;
}

function modelView(row: ModelRow): LtvModelView {
  return Object.assign(new LtvModelView(), { r: row.r, alpha: row.alpha, a: row.a, b: row.b, p: row.p, q: row.q, v: row.v, fittedOn: row.fitted_on, asOf: row.as_of });
}

function runView(run: LtvRunRecord): LtvRunView {
  return Object.assign(new LtvRunView(), {
    id: run.id,
    asOf: run.asOf,
    status: run.status,
    membersScored: run.membersScored,
    model: modelView({ ...run.params, fitted_on: run.fittedOn, as_of: run.asOf }),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  });
}

function parseRiskCursor(key: string): { predicted: string; memberId: string } {
  const match = /^(-?\d+):([0-9a-f-]{36})$/.exec(key);
  if (!match) throw new BadUserInputError('after', 'is not a cursor this API returned');
  return { predicted: match[1], memberId: match[2] };
}

/** A member's stored LTV score as the API shows it, in the base currency. */
export function ltvProfileView(row: LtvScore, currency: string): LtvProfileView {
    const money = (minor: bigint) => MoneyView.of({ minor, currency });
    const hasOrders = row.orderCount > 0;
    return Object.assign(new LtvProfileView(), {
      tier: row.tier,
      historical: money(row.historicalMinor),
      predicted12m: money(row.predicted12mMinor),
      expectedPurchases12m: row.expectedPurchases12m,
      probabilityAlive: row.probabilityAlive,
      churnRisk: row.churnRisk as ChurnRisk,
      ltvToCac: row.ltvToCac,
      formulaLtv: row.formulaLtvMinor === null ? null : money(row.formulaLtvMinor),
      expectedOrderValue: hasOrders ? money(row.expectedOrderValueMinor) : null,
      computedAt: row.computedAt,
    });
}
