import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError } from '../errors';
import { isDatabaseUnavailable } from '../db/errors';

export const INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR';
export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';
/** What a client is told to wait (Retry-After) when the database is away: a restart or failover takes seconds. */
export const RETRY_AFTER_SECONDS = 2;
export const SERVICE_UNAVAILABLE_MESSAGE = `the database is unavailable; retry in ${RETRY_AFTER_SECONDS} s`;

/** Codes GraphQL itself gives for a bad request (parse, validation, variable coercion): shown as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** True when the error is not one we expect: it is logged in full and hidden from the client. */
export function isUnexpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError || original instanceof ArgumentValidationError) return false;
  if (isDatabaseUnavailable(original)) return false;
  if (!(original instanceof GraphQLError)) return true;
  if (isCodelessBadRequest(original)) return false;
  return !REQUEST_ERROR_CODES.has(String(original.extensions?.code));
}

/** The error's contract code, as counted in metrics and shown to clients. */
export function errorCode(error: unknown): string {
  if (isUnexpectedError(error)) return INTERNAL_SERVER_ERROR;
  if (isServiceUnavailable(error)) return SERVICE_UNAVAILABLE;
  if (isCodelessBadRequest(unwrapResolverError(error))) return 'BAD_REQUEST';
  const original = unwrapResolverError(error) as GraphQLError;
  return String(original.extensions?.code ?? INTERNAL_SERVER_ERROR);
}

/** Apollo's formatError: domain and request errors keep their code; anything else loses its internals. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (isUnexpectedError(error)) {
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: INTERNAL_SERVER_ERROR } };
  }
  if (isServiceUnavailable(error)) {
    return {
      message: SERVICE_UNAVAILABLE_MESSAGE,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS },
    };
  }
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
  if (isCodelessBadRequest(unwrapResolverError(error))) return { ...formatted, extensions: { ...extensions, code: 'BAD_REQUEST' } };
  return { ...formatted, extensions };
}

/** True when the error means the database cannot serve now (see isDatabaseUnavailable): HTTP 503, retry later. */
export function isServiceUnavailable(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return !(original instanceof DomainError) && isDatabaseUnavailable(original);
}

/**
 * Apollo refuses some requests with a GraphQLError that has an HTTP 4xx status but no code (a persisted query
 * whose hash does not match): the client's mistake, shown as BAD_REQUEST rather than hidden as a bug.
 */
function isCodelessBadRequest(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions?.code !== undefined) return false;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
