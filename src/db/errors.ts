import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** True when `error` is PostgreSQL's unique violation (23505) of the named constraint, raw or wrapped by MikroORM. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const raw = error instanceof UniqueConstraintViolationException ? (error as { cause?: unknown }).cause ?? error : error;
  const pgError = raw as { code?: string; constraint?: string };
  return pgError?.code === '23505' && pgError.constraint === constraint;
}
