import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from './context';
import { isServiceUnavailable, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE_MESSAGE } from './errors';

/**
 * A request that failed because the database is away (connection refused or cut, shutdown, a lost serialization
 * race) is answered with HTTP 503 and Retry-After, so clients can tell "retry later" from a bug; formatError gives
 * each such error the code SERVICE_UNAVAILABLE.
 */
export const serviceUnavailablePlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return LISTENER;
  },
};

// One listener for every request: nothing allocated per request.
const LISTENER: Awaited<ReturnType<NonNullable<ApolloServerPlugin<RequestContext>['requestDidStart']>>> = {
  async didEncounterErrors({ errors, response, contextValue, operationName }) {
    const unavailable = errors.find(isServiceUnavailable);
    if (!unavailable) return;
    response.http.status = 503;
    response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
    contextValue.logger.warn({ err: unavailable.originalError ?? unavailable, operationName }, 'database unavailable');
  },
};

/**
 * For the plain HTTP routes (webhooks, CSV, the lean GraphQL path; Express responses are node:http responses): answers
 * 503 with Retry-After and returns true when `error` means the database is away; returns false and sends nothing
 * otherwise.
 */
export function sendIfServiceUnavailable(error: unknown, response: ServerResponse): boolean {
  if (!isServiceUnavailable(error) || response.headersSent) return false;
  const body = JSON.stringify({
    errors: [{ message: SERVICE_UNAVAILABLE_MESSAGE, extensions: { code: SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS } }],
  });
  response.writeHead(503, { 'retry-after': String(RETRY_AFTER_SECONDS), 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
  return true;
}
