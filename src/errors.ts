import { GraphQLError } from 'graphql';

/** The stable codes clients see in extensions.code (the contract's list). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'INSUFFICIENT_POINTS'
  | 'HOLD_NOT_ACTIVE'
  | 'IDEMPOTENCY_CONFLICT'
  | 'OUT_OF_STOCK'
  | 'REFERRAL_INVALID'
  | 'RATE_LIMITED'
  | 'LTV_FIT_FAILED';

/** An expected failure: its message and code reach the client as they are. */
export class DomainError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'DomainError';
  }
}

export class BadUserInputError extends DomainError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('BAD_USER_INPUT', `${field}: ${problem}`, { field });
  }
}

/** Several invalid fields of one input, reported together: `extensions.problems` lists each with its field. */
export class InvalidInputError extends DomainError {
  constructor(readonly problems: BadUserInputError[]) {
    super('BAD_USER_INPUT', problems.map((problem) => problem.message).join('; '), {
      field: problems[0].field,
      problems: problems.map((problem) => ({ field: problem.field, message: problem.message })),
    });
  }
}

/**
 * Runs the checks of one input and reports every failure, not only the first: one BadUserInputError as it is,
 * several as an InvalidInputError. Other errors pass through at once.
 */
export class InputChecks {
  private readonly problems: BadUserInputError[] = [];

  /** The check's result, or undefined when it failed (the failure is kept for `throwIfAny`). */
  check<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      this.keep(error);
      return undefined;
    }
  }

  /** As `check`, for a check that reads the database (a code that must exist). */
  async checkAsync<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.keep(error);
      return undefined;
    }
  }

  /** Keeps an invalid field (or each of a nested check's fields); any other error is thrown at once. */
  private keep(error: unknown): void {
    if (error instanceof BadUserInputError) this.problems.push(error);
    else if (error instanceof InvalidInputError) this.problems.push(...error.problems);
    else throw error;
  }

  throwIfAny(): void {
    if (this.problems.length === 1) throw this.problems[0];
    if (this.problems.length > 1) throw new InvalidInputError(this.problems);
  }
}

type FieldChecks = Record<string, () => unknown>;
type Checked<C extends FieldChecks> = { [K in keyof C]: Awaited<ReturnType<C[K]>> };

/**
 * The one way an input is validated: runs every check (in order) and reports all the failed ones together, each
 * with its field (InputChecks); returns each check's result under its key when none failed. A check of an optional
 * field returns null (or its default) when the field is absent.
 *
 *   const { code, name } = checkFields({ code: () => codeOrFail(input.code, 'code'), name: () => nameOrFail(input.name, 'name') });
 */
export function checkFields<C extends FieldChecks>(checks: C): Checked<C> {
  const problems = new InputChecks();
  const results: Record<string, unknown> = {};
  for (const [key, run] of Object.entries(checks)) results[key] = problems.check(run);
  problems.throwIfAny();
  return results as Checked<C>;
}

/** As checkFields, for checks of which some read the database; they run one after the other. */
export async function checkFieldsAsync<C extends FieldChecks>(checks: C): Promise<Checked<C>> {
  const problems = new InputChecks();
  const results: Record<string, unknown> = {};
  for (const [key, run] of Object.entries(checks)) results[key] = await problems.checkAsync(async () => run());
  problems.throwIfAny();
  return results as Checked<C>;
}

export class UnauthenticatedError extends DomainError {
  /** `httpStatus` is set when the whole request is refused (a bad token), not one field. */
  constructor(message = 'a valid bearer token is required', httpStatus?: number) {
    super('UNAUTHENTICATED', message, httpStatus ? { http: { status: httpStatus } } : {});
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'not allowed for this caller') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class IdempotencyConflictError extends DomainError {
  constructor(key: string) {
    super('IDEMPOTENCY_CONFLICT', `${key} was already used with different input`);
  }
}

export class InsufficientPointsError extends DomainError {
  constructor(available: bigint, needed: bigint) {
    super('INSUFFICIENT_POINTS', `${needed} points needed, ${available} available`, { available: Number(available), needed: Number(needed) });
  }
}

export class HoldNotActiveError extends DomainError {
  constructor(status: string) {
    super('HOLD_NOT_ACTIVE', `the hold is ${status}, not HELD`, { status });
  }
}

export class OutOfStockError extends DomainError {
  constructor(what = 'reward') {
    super('OUT_OF_STOCK', `${what} is out of stock`);
  }
}

export class ReferralInvalidError extends DomainError {
  constructor(code: string) {
    super('REFERRAL_INVALID', `referral code ${code} is not valid`);
  }
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', `too many failed attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

/** The LTV models could not be fitted on the data (or gave scores outside their domain); the run is recorded as FAILED. */
export class LtvFitFailedError extends DomainError {
  constructor(
    readonly reason: string,
    runId: string | null,
  ) {
    super('LTV_FIT_FAILED', `the LTV run failed: ${reason}; the previous scores are kept`, { reason, runId });
  }
}
