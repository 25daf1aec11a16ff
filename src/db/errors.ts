import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** True when `error` is PostgreSQL's unique violation (23505) of the named constraint, raw or wrapped by MikroORM. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const raw = error instanceof UniqueConstraintViolationException ? (error as { cause?: unknown }).cause ?? error : error;
  const pgError = raw as { code?: string; constraint?: string };
  return pgError?.code === '23505' && pgError.constraint === constraint;
}

/**
 * SQLSTATEs and socket errors that mean "the database cannot serve now, try again": the connection failed or was
 * cut (class 08, resets), the server is shutting down or starting (57P01-57P03), too many connections (53300),
 * or the transaction lost a serialization or deadlock race (40001, 40P01) that a retry would win.
 */
const UNAVAILABLE_CODES = new Set([
  '08000', '08001', '08003', '08004', '08006', '08007', '08P01',
  '57P01', '57P02', '57P03', '53300', '40001', '40P01',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
]);

/**
 * node-postgres and knex report a lost connection or an exhausted pool without a code. Knex prefixes the SQL
 * (`<query> - <message>`), so these match the end of the message, never text a client could put in the query.
 */
const UNAVAILABLE_MESSAGES = [
  /(^|\s-\s)Connection terminated( unexpectedly| due to connection timeout)?$/,
  /(^|\s-\s)Client has encountered a connection error and is not queryable$/,
  /(^|\s-\s)Client was closed and is not queryable$/,
  /^Knex: Timeout acquiring a connection/,
  // knex ends a transaction whose connection died; the transaction's next statement then fails with this.
  /^Transaction query already complete/,
  /(^|\s-\s)timeout exceeded when trying to connect$/,
];

/**
 * True when `error` (raw, wrapped by MikroORM, or anywhere in its `cause` chain) says the database is unavailable
 * rather than that the request or our code is wrong. Clients should retry these later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someCause(error, (candidate) => {
    if (typeof candidate.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) return true;
    if (candidate.name === 'KnexTimeoutError') return true;
    return typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(candidate.message as string));
  });
}

/** A transaction that lost a serialization race (40001) or was chosen as a deadlock's victim (40P01). */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/**
 * True when `error` (raw, wrapped by MikroORM, or anywhere in its `cause` chain) is a serialization failure or a
 * deadlock: PostgreSQL rolled the whole transaction back, and running it again may well succeed.
 */
export function isTransactionConflict(error: unknown): boolean {
  return someCause(error, (candidate) => typeof candidate.code === 'string' && CONFLICT_CODES.has(candidate.code));
}

/** A lock not granted within the statement's lock_timeout (55P03, lock_not_available), raw or wrapped. */
export function isLockTimeout(error: unknown): boolean {
  return someCause(error, (candidate) => candidate.code === '55P03');
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  name?: unknown;
  cause?: unknown;
  errors?: unknown;
  originalError?: unknown;
  thrownValue?: unknown;
}

/** True when `test` holds for `error` or any error it wraps (cause, originalError, thrownValue, AggregateError's errors). */
function someCause(error: unknown, test: (candidate: ErrorLike) => boolean): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as ErrorLike;
    if (test(candidate)) return true;
    // graphql-js wraps a thrown non-Error (knex rejects with a bare socket error object) as thrownValue.
    pending.push(candidate.cause, candidate.originalError, candidate.thrownValue);
    if (Array.isArray(candidate.errors)) pending.push(...candidate.errors);
  }
  return false;
}
