import { holdInputOrFail } from './hold.validation';
import { randomUUID } from 'node:crypto';
import { onlyMemberOf } from '../../auth/principal';
import { IdempotencyConflictError } from '../../errors';
import type { StatusScope } from '../../graphql/context';
import { requestHash } from '../../idempotency';
import { parseDecimal } from '../../money/decimal';
import { parseMoney } from '../../money/money';
import { uuidOrFail } from '../../validation';
import { isUniqueViolation } from '../../db/errors';
import type { FxService } from '../fx/fx.service';
import { namedStatement, runNamed } from '../../db/sql';
import { ledgerCommand, ledgerError } from '../ledger/ledger-errors';
import { emptyBalance } from '../ledger/balance.service';
import { pointsCurrencyOrFail } from '../ledger/points-currency.service';
import { Quote, quoteRedemption } from '../ledger/redemption';
import type { MemberService } from '../members/member.service';
import { HoldStatus, PointsHold } from './points-hold.entity';
import { countLedgerReplay } from '../../observability/domain-metrics';

export interface HoldInput {
  memberId: string;
  currency?: string | null;
  points: number;
  orderRef: string;
  idempotencyKey: string;
  ttlSeconds?: number | null;
}

export const DEFAULT_HOLD_TTL_SECONDS = 900;

/** A hold as clients see it. */
export type HoldRecord = Pick<PointsHold, 'id' | 'memberId' | 'currency' | 'points' | 'orderRef' | 'status' | 'expiresAt' | 'createdAt'>;

interface HoldRow {
  id: string;
  member_id: string;
  currency: string;
  points: string;
  order_ref: string;
  status: HoldStatus;
  expires_at: Date;
  created_at: Date;
  request_hash: string;
}

const HOLD = namedStatement('ledger_hold', 'select * from ledger_hold(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
const RESOLVE_HOLD = namedStatement('ledger_resolve_hold', 'select * from ledger_resolve_hold(?, ?, ?, ?)');
const HOLD_BY_KEY = namedStatement('points_hold_by_key', 'select * from points_holds where idempotency_key = ?');

function holdRecord(row: HoldRow): HoldRecord {
  return {
    id: row.id,
    memberId: row.member_id,
    currency: row.currency,
    points: row.points,
    orderRef: row.order_ref,
    status: row.status,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
  };
}

/** Redeeming points at checkout: quote, then hold, then capture or release (TigerBeetle's two-phase transfers). */
export class CheckoutService {
  constructor(
    private readonly members: MemberService,
    private readonly fx: FxService,
  ) {}

  /** How many points a cart accepts and what they are worth in the cart's currency, at the current rate. */
  async quote(scope: StatusScope, memberId: string, cartInput: { amount: string; currency: string }, currencyCode?: string | null): Promise<Quote & { currency: string }> {
    // The member look-up brings its balances along (the member-status read).
    scope.memberStatus.wantParts(['balances']);
    const member = await this.members.actionTargetOrFail(scope, memberId);
    const currency = await pointsCurrencyOrFail(scope.em, currencyCode);
    const cart = parseMoney(cartInput.amount, cartInput.currency, 'cart');
    const fx = await this.fx.rateAt(scope, scope.em, cart.currency, new Date(), 'cart.currency');
    const balances = (await scope.memberStatus.statusOf(member)).balances!;
    const balance = balances.find((candidate) => candidate.currency === currency.code) ?? emptyBalance(currency.code);
    const quote = quoteRedemption({
      availablePoints: balance.posted - balance.held,
      cart,
      pointValue: currency.valueInBase,
      baseCurrency: scope.config.baseCurrency,
      rate: fx.rate,
      policy: { minPoints: scope.config.redemptionMinPoints, maxCartShare: parseDecimal(scope.config.redemptionMaxCartShare, 'maxCartShare', { allowZero: true }) },
    });
    return { ...quote, currency: currency.code };
  }

  /**
   * Reserves points for a checkout, idempotently on idempotencyKey. Fails with INSUFFICIENT_POINTS beyond the
   * available balance. One round trip: the ledger_hold function checks the member, locks the account, expires its
   * due holds, answers a replay, re-checks the balance and writes the hold.
   */
  async hold(scope: StatusScope, input: HoldInput): Promise<HoldRecord> {
    const { memberId, currency, points, orderRef, idempotencyKey, ttlSeconds } = holdInputOrFail(input, scope.config.redemptionMinPoints);
    const hash = requestHash([memberId, currency, points, orderRef, ttlSeconds]);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    try {
      const holdId = randomUUID();
      const [row] = await runNamed<HoldRow>(scope.em, HOLD, [holdId, memberId, onlyMemberOf(scope.principal), currency, points.toString(), orderRef, expiresAt, idempotencyKey, hash, now]);
      // The function answers a replay with the hold the key made first.
      if (row.id !== holdId) countLedgerReplay('hold');
      return holdRecord(row);
    } catch (error) {
      // The same key on another account, concurrently: the first one won; answer as its replay.
      if (isUniqueViolation(error, 'points_holds_idempotency_key_unique')) {
        countLedgerReplay('hold');
        return (await this.replayOf(scope, idempotencyKey, hash))!;
      }
      throw ledgerError(error, { currency: { field: 'currency', given: input.currency } });
    }
  }

  /** Spends a HELD hold's points. Capturing a captured hold returns it unchanged; any other state is HOLD_NOT_ACTIVE. */
  capture(scope: StatusScope, holdId: string): Promise<HoldRecord> {
    return this.resolve(scope, holdId, HoldStatus.CAPTURED);
  }

  /** Gives a HELD hold's points back; any other state is HOLD_NOT_ACTIVE. */
  release(scope: StatusScope, holdId: string): Promise<HoldRecord> {
    return this.resolve(scope, holdId, HoldStatus.RELEASED);
  }

  /** One round trip: ledger_resolve_hold locks the hold's account, expires due holds, then captures or releases. */
  private async resolve(scope: StatusScope, holdId: string, outcome: HoldStatus.CAPTURED | HoldStatus.RELEASED): Promise<HoldRecord> {
    const id = uuidOrFail(holdId, 'holdId', 'is not a hold id');
    const [row] = await ledgerCommand(() => runNamed<HoldRow>(scope.em, RESOLVE_HOLD, [id, outcome, onlyMemberOf(scope.principal), new Date()]));
    return holdRecord(row);
  }

  private async replayOf(scope: StatusScope, idempotencyKey: string, hash: string): Promise<HoldRecord | null> {
    const [existing] = await runNamed<HoldRow>(scope.em, HOLD_BY_KEY, [idempotencyKey]);
    if (!existing) return null;
    if (existing.request_hash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
    return holdRecord(existing);
  }

}
