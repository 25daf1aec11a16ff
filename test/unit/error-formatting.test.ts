import { describe, it, expect } from '@jest/globals';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DeadlockException, DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { BadUserInputError, NotFoundError } from '../../src/errors';
import { errorCode, formatError, INTERNAL_SERVER_ERROR, isUnexpectedError } from '../../src/graphql/errors';

const location = { line: 2, column: 3 };

/** What Apollo passes as the formatted error: the error's JSON form, with a stacktrace in development. */
function formattedOf(error: GraphQLError): GraphQLFormattedError {
  return { ...error.toJSON(), extensions: { ...error.extensions, stacktrace: ['Error: x', '    at resolver (file.ts:1:1)'] } };
}

/** What graphql-js hands Apollo when a resolver throws: a located GraphQLError wrapping the original. */
function resolverError(original: Error): GraphQLError {
  return new GraphQLError(original.message, { path: ['member'], originalError: original });
}

describe('formatError', () => {
  it('hides a plain Error thrown by a resolver', () => {
    const error = resolverError(new Error('db down: password authentication failed'));
    const result = formatError({ message: error.message, locations: [location], path: ['member'], extensions: { stacktrace: ['x'] } }, error);
    expect(result.message).toBe('Internal server error');
    expect(result.extensions).toStrictEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(result.locations).toEqual([location]);
    expect(result.path).toEqual(['member']);
    expect(JSON.stringify(result)).not.toContain('db down');
  });

  it('hides a plain Error passed directly', () => {
    const result = formatError({ message: 'db down' }, new Error('db down'));
    expect(result.message).toBe('Internal server error');
    expect(result.extensions).toStrictEqual({ code: INTERNAL_SERVER_ERROR });
  });

  it('hides a GraphQLError that wraps a plain Error but has no path', () => {
    const error = new GraphQLError('x', { originalError: new Error('db down') });
    const result = formatError({ message: 'x', extensions: { code: 'SOMETHING' } }, error);
    expect(result.message).toBe('Internal server error');
    expect(result.extensions).toStrictEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it("keeps a DomainError's message and code, without the stacktrace", () => {
    const original = new NotFoundError('member');
    const error = resolverError(original);
    const result = formatError({ ...formattedOf(error), locations: [location], path: ['member'] }, error);
    expect(result).toStrictEqual({
      message: 'member not found',
      locations: [location],
      path: ['member'],
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('keeps a DomainError passed unwrapped, including its other extensions', () => {
    const error = new BadUserInputError('price.amount', 'must be greater than zero');
    const result = formatError(formattedOf(error), error);
    expect(result.message).toBe('price.amount: must be greater than zero');
    expect(result.extensions).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'price.amount' });
  });

  it.each(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND'])(
    'keeps a request GraphQLError with code %s',
    (code) => {
      const error = new GraphQLError('Cannot query field "nope" on type "Query".', { extensions: { code } });
      const result = formatError(formattedOf(error), error);
      expect(result.message).toBe('Cannot query field "nope" on type "Query".');
      expect(result.extensions).toStrictEqual({ code });
    },
  );

  it('keeps an ArgumentValidationError', () => {
    const error = resolverError(new ArgumentValidationError([]));
    expect(isUnexpectedError(error)).toBe(false);
    expect(formatError({ message: error.message, extensions: { code: 'BAD_USER_INPUT', stacktrace: ['x'] } }, error)).toStrictEqual({
      message: error.message,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it.each([
    ['no code', {}],
    ['an unknown code', { code: 'DATABASE_EXPLODED' }],
    ['INTERNAL_SERVER_ERROR', { code: 'INTERNAL_SERVER_ERROR' }],
  ])('hides a GraphQLError with %s', (_label, extensions) => {
    const error = new GraphQLError('secret detail', { extensions });
    const result = formatError(formattedOf(error), error);
    expect(result.message).toBe('Internal server error');
    expect(result.extensions).toStrictEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('hides a non-Error thrown value', () => {
    expect(formatError({ message: 'boom' }, 'boom').message).toBe('Internal server error');
    expect(formatError({ message: 'boom' }, undefined).extensions).toStrictEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });
});

describe('errorCode', () => {
  it('is the domain code for expected errors and INTERNAL_SERVER_ERROR otherwise', () => {
    expect(errorCode(resolverError(new NotFoundError('reward')))).toBe('NOT_FOUND');
    expect(errorCode(new GraphQLError('bad', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }))).toBe('GRAPHQL_PARSE_FAILED');
    expect(errorCode(resolverError(new Error('db down')))).toBe('INTERNAL_SERVER_ERROR');
    expect(errorCode(new GraphQLError('no code'))).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('database unavailability', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    ['admin shutdown (57P01)', new DriverException(pgError('57P01', 'terminating connection due to administrator command'))],
    ['cannot connect now (57P03)', new DriverException(pgError('57P03', 'the database system is starting up'))],
    ['serialization failure (40001)', new DeadlockException(pgError('40001', 'could not serialize access due to concurrent update'))],
    ['deadlock (40P01)', new DeadlockException(pgError('40P01', 'deadlock detected'))],
    ['connection refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection reset', pgError('ECONNRESET', 'read ECONNRESET')],
    ['a lost connection, as knex words it', new DriverException(new Error('select 1 - Connection terminated unexpectedly'))],
    ['a statement in a transaction whose connection died', new DriverException(new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'))],
  ])('%s is SERVICE_UNAVAILABLE with a retry hint', (_name, original) => {
    const error = resolverError(original);
    expect(isUnexpectedError(error)).toBe(false);
    expect(errorCode(error)).toBe('SERVICE_UNAVAILABLE');
    const result = formatError({ message: error.message, path: ['member'] }, error);
    expect(result).toStrictEqual({
      message: 'the database is unavailable; retry in 2 s',
      locations: undefined,
      path: ['member'],
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 2 },
    });
  });

  it('a bare socket error thrown as a value (graphql-js wraps it as thrownValue) is SERVICE_UNAVAILABLE', () => {
    const wrapped = Object.assign(new Error('Unexpected error value'), { thrownValue: { errno: -111, code: 'ECONNREFUSED' } });
    expect(errorCode(resolverError(wrapped))).toBe('SERVICE_UNAVAILABLE');
  });

  it('a unique violation, or a query that merely mentions a lost connection, stays an internal error', () => {
    expect(errorCode(resolverError(new UniqueConstraintViolationException(pgError('23505', 'duplicate key'))))).toBe(INTERNAL_SERVER_ERROR);
    expect(errorCode(resolverError(new DriverException(pgError('22003', "select 'Connection terminated unexpectedly' - integer out of range"))))).toBe(INTERNAL_SERVER_ERROR);
  });
});
