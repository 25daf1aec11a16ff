import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from './context';
import { countAuthenticationRejection } from '../observability/domain-metrics';

/**
 * A request with a bad token (wrong secret, expired, malformed) is refused whole, with HTTP 401.
 * The context records the failure and this plugin raises it, so it passes through the same
 * error formatting, logging and metrics as every other error.
 */
export const authenticationPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return LISTENER;
  },
};

// One listener for every request: nothing allocated per request.
const LISTENER: Awaited<ReturnType<NonNullable<ApolloServerPlugin<RequestContext>['requestDidStart']>>> = {
  async didResolveOperation({ contextValue }) {
    if (contextValue.authenticationError) {
      countAuthenticationRejection('bad_token');
      throw contextValue.authenticationError;
    }
  },
};
