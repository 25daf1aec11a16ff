import { HoldNotActiveError, IdempotencyConflictError, InsufficientPointsError, NotFoundError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { requestHash } from '../../idempotency';
import { parseDecimal } from '../../money/decimal';
import { parseMoney } from '../../money/money';
import { externalIdOrFail, uuidOrFail, wholeNumberOrFail } from '../../validation';
import { isUniqueViolation } from '../../db/errors';
import type { FxService } from '../fx/fx.service';
import { Ledger } from '../ledger/ledger';
import type { BalanceService } from '../ledger/balance.service';
import { pointsCurrencyOrFail } from '../ledger/points-currency.service';
import { LedgerEntryKind, TransferBucket } from '../ledger/points-transfer.entity';
import { Quote, quoteRedemption } from '../ledger/redemption';
import type { MemberService } from '../members/member.service';
import { expireDueHolds } from './hold-expiry';
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
const MAX_HOLD_TTL_SECONDS = 24 * 60 * 60;

/** Redeeming points at checkout: quote, then hold, then capture or release (TigerBeetle's two-phase transfers). */
export class CheckoutService {
  constructor(
    private readonly scope: RequestScope,
    private readonly members: MemberService,
    private readonly balances: BalanceService,
    private readonly fx: FxService,
  ) {}

  /** How many points a cart accepts and what they are worth in the cart's currency, at the current rate. */
  async quote(memberId: string, cartInput: { amount: string; currency: string }, currencyCode?: string | null): Promise<Quote & { currency: string }> {
    const member = await this.members.actionTargetOrFail(memberId);
    const currency = await pointsCurrencyOrFail(this.scope.em, currencyCode);
    const cart = parseMoney(cartInput.amount, cartInput.currency, 'cart');
    const fx = await this.fx.rateAt(this.scope.em, cart.currency, new Date(), 'cart.currency');
    const balance = await this.balances.balanceOf(member.id, currency.code);
    const quote = quoteRedemption({
      availablePoints: balance.posted - balance.held,
      cart,
      pointValue: currency.valueInBase,
      baseCurrency: this.scope.config.baseCurrency,
      rate: fx.rate,
      policy: { minPoints: this.scope.config.redemptionMinPoints, maxCartShare: parseDecimal(this.scope.config.redemptionMaxCartShare, 'maxCartShare', { allowZero: true }) },
    });
    return { ...quote, currency: currency.code };
  }

  /** Reserves points for a checkout, idempotently on idempotencyKey. Fails with INSUFFICIENT_POINTS beyond the available balance. */
  async hold(input: HoldInput): Promise<PointsHold> {
    const member = await this.members.actionTargetOrFail(input.memberId);
    const currency = await pointsCurrencyOrFail(this.scope.em, input.currency);
    const points = BigInt(wholeNumberOrFail(input.points, 'points', { min: this.scope.config.redemptionMinPoints }));
    const orderRef = externalIdOrFail(input.orderRef, 'orderRef');
    const idempotencyKey = externalIdOrFail(input.idempotencyKey, 'idempotencyKey');
    const ttlSeconds = wholeNumberOrFail(input.ttlSeconds ?? DEFAULT_HOLD_TTL_SECONDS, 'ttlSeconds', { min: 1, max: MAX_HOLD_TTL_SECONDS });
    const hash = requestHash([member.id, currency.code, points, orderRef, ttlSeconds]);

    try {
      return await this.scope.em.transactional(async (tx) => {
        const ledger = new Ledger(tx);
        const now = new Date();
        const account = await ledger.lockMemberAccount(member.id, currency.code);
        // A replay: answered under the lock, so one that raced the first request sees its committed hold.
        const [earlier] = await tx.execute<Record<string, unknown>[]>('select * from points_holds where idempotency_key = ?', [idempotencyKey]);
        if (earlier) {
          if (earlier.request_hash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
          countLedgerReplay('hold');
          return tx.map(PointsHold, earlier);
        }
        await expireDueHolds(tx, ledger, account, now);
        const available = account.posted - account.held;
        if (available < points) throw new InsufficientPointsError(available, points);
        const [hold] = await tx.execute<Record<string, unknown>[]>(
          `insert into points_holds (id, member_id, account_id, currency, points, order_ref, status, expires_at, idempotency_key, request_hash, created_at)
           values (?, ?, ?, ?, ?, ?, 'HELD', ?, ?, ?, ?) returning *`,
          [new PointsHold().id, member.id, account.id, currency.code, points.toString(), orderRef, new Date(now.getTime() + ttlSeconds * 1000), idempotencyKey, hash, now],
        );
        await ledger.changeHeld(account, points);
        return tx.map(PointsHold, hold);
      });
    } catch (error) {
      // The same key, concurrently: the first one won; answer as its replay.
      if (isUniqueViolation(error, 'points_holds_idempotency_key_unique')) return (await this.replayOf(idempotencyKey, hash))!;
      throw error;
    }
  }

  /** Spends a HELD hold's points. Capturing a captured hold returns it unchanged; any other state is HOLD_NOT_ACTIVE. */
  capture(holdId: string): Promise<PointsHold> {
    return this.resolve(holdId, HoldStatus.CAPTURED);
  }

  /** Gives a HELD hold's points back; any other state is HOLD_NOT_ACTIVE. */
  release(holdId: string): Promise<PointsHold> {
    return this.resolve(holdId, HoldStatus.RELEASED);
  }

  private async resolve(holdId: string, outcome: HoldStatus.CAPTURED | HoldStatus.RELEASED): Promise<PointsHold> {
    const found = await this.scope.em.fork().findOne(PointsHold, { id: uuidOrFail(holdId, 'holdId', 'is not a hold id') });
    if (!found) throw new NotFoundError('hold');
    await this.members.actionTargetOrFail(found.memberId, 'holdId');
    return this.scope.em.transactional(async (tx) => {
      const ledger = new Ledger(tx);
      const now = new Date();
      // Lock the account first (the order every path follows), then read the hold: it cannot change under us.
      const account = await ledger.lockAccountById(found.accountId);
      await expireDueHolds(tx, ledger, account, now);
      const [hold] = await tx.execute<Record<string, any>[]>('select * from points_holds where id = ?', [found.id]);
      if (outcome === HoldStatus.CAPTURED && hold.status === HoldStatus.CAPTURED) return tx.map(PointsHold, hold);
      if (hold.status !== HoldStatus.HELD) throw new HoldNotActiveError(hold.status);
      const points = BigInt(hold.points);
      account.held -= points;
      let transferId: string | null = null;
      if (outcome === HoldStatus.CAPTURED) {
        const transfer = await ledger.transfer({
          account,
          direction: 'DEBIT',
          bucket: TransferBucket.POSTED,
          kind: LedgerEntryKind.REDEEM,
          amount: points,
          counterparty: 'REDEMPTION',
          reference: `hold:${found.id}`,
          reason: `checkout ${hold.order_ref}`,
        });
        await ledger.drawFromLots(account, points);
        transferId = transfer.id;
      } else {
        await ledger.changeHeld(account, 0n);
      }
      const [resolved] = await tx.execute<Record<string, unknown>[]>('update points_holds set status = ?, transfer_id = ?, resolved_at = ? where id = ? returning *', [
        outcome,
        transferId,
        now,
        found.id,
      ]);
      return tx.map(PointsHold, resolved);
    });
  }

  private async replayOf(idempotencyKey: string, hash: string): Promise<PointsHold | null> {
    const existing = await this.scope.em.fork().findOne(PointsHold, { idempotencyKey });
    if (!existing) return null;
    if (existing.requestHash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
    return existing;
  }

}
