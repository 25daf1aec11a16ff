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
    return {
      async didEncounterErrors({ errors, response, contextValue, operationName }) {
        const unavailable = errors.find(isServiceUnavailable);
        if (!unavailable) return;
        response.http.status = 503;
        response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
        contextValue.logger.warn({ err: unavailable.originalError ?? unavailable, operationName }, 'database unavailable');
      },
    };
  },
};

/**
 * For the plain HTTP routes (webhooks, CSV): answers 503 with Retry-After and returns true when `error` means the
 * database is away; returns false and sends nothing otherwise.
 */
export function sendIfServiceUnavailable(error: unknown, response: { headersSent: boolean; status(code: number): { setHeader(name: string, value: string): { json(body: unknown): unknown } } }): boolean {
  if (!isServiceUnavailable(error) || response.headersSent) return false;
  response.status(503).setHeader('retry-after', String(RETRY_AFTER_SECONDS)).json({
    errors: [{ message: SERVICE_UNAVAILABLE_MESSAGE, extensions: { code: SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS } }],
  });
  return true;
}
