import { BadUserInputError, ForbiddenError, IdempotencyConflictError, InsufficientPointsError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { requestHash } from '../../idempotency';
import { addMonths } from '../../time';
import { externalIdOrFail } from '../../validation';
import { isUniqueViolation } from '../../db/errors';
import type { AuditService } from '../audit/audit.service';
import type { MemberService } from '../members/member.service';
import { BalanceService, LedgerEntryView } from './balance.service';
import { Ledger } from './ledger';
import { pointsCurrencyOrFail } from './points-currency.service';
import { LedgerEntryKind, TransferBucket } from './points-transfer.entity';

export interface AdjustInput {
  memberId: string;
  currency?: string | null;
  points: number;
  reason: string;
  idempotencyKey: string;
}

const MAX_REASON_LENGTH = 500;

/** Points granted or removed by hand, with a reason: admins without limit, support within limits. Audited. */
export class AdjustmentService {
  constructor(
    private readonly scope: RequestScope,
    private readonly members: MemberService,
    private readonly audit: AuditService,
  ) {}

  async adjust(input: AdjustInput): Promise<LedgerEntryView> {
    const principal = this.scope.principal!;
    const member = await this.members.actionTargetOrFail(input.memberId);
    const currency = await pointsCurrencyOrFail(this.scope.em, input.currency);
    if (!Number.isSafeInteger(input.points) || input.points === 0) throw new BadUserInputError('points', 'must be a whole number other than zero');
    const points = BigInt(input.points);
    const reason = input.reason.trim();
    if (!reason || reason.length > MAX_REASON_LENGTH) throw new BadUserInputError('reason', `must be 1 to ${MAX_REASON_LENGTH} characters`);
    const idempotencyKey = externalIdOrFail(input.idempotencyKey, 'idempotencyKey');
    const hash = requestHash([member.id, currency.code, points, reason]);

    const replay = await this.replayOf(member.id, idempotencyKey, hash);
    if (replay) return replay;

    const magnitude = points < 0n ? -points : points;
    const { supportAdjustmentLimit, supportDailyAdjustmentLimit } = this.scope.config;
    if (principal.role === 'support' && magnitude > BigInt(supportAdjustmentLimit)) {
      throw new ForbiddenError(`support may adjust at most ${supportAdjustmentLimit} points at a time`);
    }
    try {
      await this.scope.em.transactional(async (tx) => {
        if (principal.role === 'support') {
          // One agent's adjustments one at a time, so that two at once cannot both pass the daily limit.
          await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`adjustments:${principal.subject}`]);
        }
        const ledger = new Ledger(tx);
        const account = await ledger.lockMemberAccount(member.id, currency.code);
        // A concurrent request with the same key may have committed while we waited for the locks: replay it.
        const [earlier] = await tx.execute('select 1 from points_transfers where idempotency_key = ?', [idempotencyKey]);
        if (earlier) return;
        if (principal.role === 'support') {
          const [{ total }] = await tx.execute<{ total: string }[]>(
            `select coalesce(sum(amount), 0) as total from points_transfers
             where kind = 'ADJUSTMENT' and details->>'actor' = ? and created_at >= date_trunc('day', now())`,
            [principal.subject],
          );
          if (BigInt(total) + magnitude > BigInt(supportDailyAdjustmentLimit)) {
            throw new ForbiddenError(`support may adjust at most ${supportDailyAdjustmentLimit} points a day; ${total} used today`);
          }
        }
        const available = account.posted - account.held;
        if (points < 0n && available < magnitude) throw new InsufficientPointsError(available, magnitude);
        const expiresAt = addMonths(new Date(), currency.expiryMonths);
        const transfer = await ledger.transfer({
          account,
          direction: points > 0n ? 'CREDIT' : 'DEBIT',
          bucket: TransferBucket.POSTED,
          kind: LedgerEntryKind.ADJUSTMENT,
          amount: magnitude,
          counterparty: 'ADJUSTMENT',
          reason,
          idempotencyKey,
          requestHash: hash,
          details: { actor: principal.subject, role: principal.role },
          expiresAt: points > 0n ? expiresAt : null,
        });
        if (points > 0n) await ledger.createLot({ account, transferId: transfer.id, amount: magnitude, pending: false, vestsAt: null, expiresAt });
        else await ledger.drawFromLots(account, magnitude);
        await this.audit.record('points.adjust', [member.id], { currency: currency.code, points: input.points, reason, idempotencyKey }, tx);
      });
    } catch (error) {
      if (!isUniqueViolation(error, 'points_transfers_idempotency_key_unique')) throw error;
    }
    return (await this.replayOf(member.id, idempotencyKey, hash))!;
  }

  private async replayOf(memberId: string, idempotencyKey: string, hash: string): Promise<LedgerEntryView | null> {
    const [row] = await this.scope.em.execute<{ id: string; request_hash: string }[]>(
      "select id, request_hash from points_transfers where idempotency_key = ? and kind = 'ADJUSTMENT'",
      [idempotencyKey],
    );
    if (!row) return null;
    if (row.request_hash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
    const entries = await new BalanceService(this.scope.em).entriesOf(memberId, null, { first: 1, after: String(BigInt(row.id) + 1n) });
    return entries.edges[0].node;
  }
}
