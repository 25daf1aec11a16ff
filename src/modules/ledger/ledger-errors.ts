import { BadUserInputError, ForbiddenError, HoldNotActiveError, IdempotencyConflictError, InsufficientPointsError, NotFoundError } from '../../errors';

/** What a ledger function's refusal needs to become the client's error (see the ledger_commands migration). */
export interface LedgerErrorContext {
  /** The input field and value of the points currency, for an unknown one. */
  currency?: { field: string; given: string | null | undefined };
}

export const MEMBER_ACTS_ONLY_ON_ITSELF = 'a member may only act on its own points and orders';

/** The domain error for a ledger function's refusal (SQLSTATE class "PG"), or the error itself. */
export function ledgerError(error: unknown, context: LedgerErrorContext = {}): unknown {
  const { code, detail, hint } = (error ?? {}) as { code?: string; detail?: string; hint?: string };
  switch (code) {
    case 'PGNFD':
      return new NotFoundError(detail ?? 'record');
    case 'PGFBD':
      return new ForbiddenError(MEMBER_ACTS_ONLY_ON_ITSELF);
    case 'PGCUR':
      return new BadUserInputError(context.currency?.field ?? 'currency', `unknown points currency "${context.currency?.given ?? detail}"`);
    case 'PGIDC':
      return new IdempotencyConflictError(`idempotencyKey ${detail}`);
    case 'PGINS':
      return new InsufficientPointsError(BigInt(detail ?? 0), BigInt(hint ?? 0));
    case 'PGHNA':
      return new HoldNotActiveError(detail ?? 'unknown');
    case 'PGLIM':
      return new ForbiddenError(detail);
    default:
      return error;
  }
}

/** Runs a ledger command, turning its refusals into domain errors. */
export async function ledgerCommand<T>(command: () => Promise<T>, context: LedgerErrorContext = {}): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw ledgerError(error, context);
  }
}
