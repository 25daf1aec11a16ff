import { adjustInputOrFail } from './adjustment.validation';
import { ForbiddenError, IdempotencyConflictError } from '../../errors';
import type { RequestScope } from '../../graphql/context';
import { requestHash } from '../../idempotency';
import { namedStatement, runNamed } from '../../db/sql';
import { ledgerError } from './ledger-errors';
import { isUniqueViolation } from '../../db/errors';
import type { AuditService } from '../audit/audit.service';
import type { LedgerEntryView } from './balance.service';
import type { TransferRow } from './ledger';
import { LedgerEntryKind } from './points-transfer.entity';

export interface AdjustInput {
  memberId: string;
  currency?: string | null;
  points: number;
  reason: string;
  idempotencyKey: string;
}

/** Points granted or removed by hand, with a reason: admins without limit, support within limits. Audited. */
export class AdjustmentService {
  constructor(private readonly audit: AuditService) {}

  /**
   * One round trip: ledger_adjust checks the member, serialises a support agent's adjustments, locks the account
   * (expiring its due holds), answers a replay, checks the daily limit and the balance, posts the transfer with its
   * lot (or draws the lots) and writes the audit entry, in one transaction.
   */
  async adjust(scope: RequestScope, input: AdjustInput): Promise<LedgerEntryView> {
    const principal = scope.principal!;
    const { memberId, points, currencyCode, reason, idempotencyKey } = adjustInputOrFail(input);
    const hash = requestHash([memberId, currencyCode, points, reason]);
    const magnitude = points < 0n ? -points : points;
    const { supportAdjustmentLimit, supportDailyAdjustmentLimit } = scope.config;
    const support = principal.role === 'support';
    if (support && magnitude > BigInt(supportAdjustmentLimit)) {
      throw new ForbiddenError(`support may adjust at most ${supportAdjustmentLimit} points at a time`);
    }
    const now = new Date();
    try {
      const [row] = await runNamed<TransferRow>(scope.em, ADJUST, [
        memberId,
        currencyCode,
        points.toString(),
        reason,
        idempotencyKey,
        hash,
        principal.subject,
        principal.role,
        scope.requestId,
        support ? supportDailyAdjustmentLimit : null,
        now,
      ]);
      return entryOf(row, points);
    } catch (error) {
      // The same key raced on another account: the first one won; answer as its replay.
      if (!isUniqueViolation(error, 'points_transfers_idempotency_key_unique')) throw ledgerError(error, { currency: { field: 'currency', given: input.currency } });
      const [row] = await runNamed<TransferRow>(scope.em, ADJUSTMENT_BY_KEY, [idempotencyKey]);
      if (row.kind !== LedgerEntryKind.ADJUSTMENT || row.request_hash !== hash) throw new IdempotencyConflictError(`idempotencyKey ${idempotencyKey}`);
      return entryOf(row, points);
    }
  }
}

const ADJUST = namedStatement('ledger_adjust', 'select * from ledger_adjust(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
const ADJUSTMENT_BY_KEY = namedStatement('points_transfer_by_key', 'select * from points_transfers where idempotency_key = ?');

/** The adjustment's ledger entry, from the member's side. */
function entryOf(row: TransferRow, points: bigint): LedgerEntryView {
  return {
    id: String(row.id),
    currency: row.currency,
    points: points < 0n ? -BigInt(row.amount) : BigInt(row.amount),
    kind: row.kind,
    reference: row.reference,
    reason: row.reason,
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    rules: [],
  };
}
