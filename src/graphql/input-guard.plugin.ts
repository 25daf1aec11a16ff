import type { ApolloServerPlugin } from '@apollo/server';
import { visit } from 'graphql';
import { DomainError } from '../errors';
import { pathOfNulCharacter } from '../validation';

/**
 * Refuses, with HTTP 400 BAD_USER_INPUT naming the field, a request whose variables or string literals contain
 * U+0000: PostgreSQL text cannot hold it, so it would otherwise fail deep in a query.
 */
export const inputGuardPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        let path = pathOfNulCharacter(request.variables ?? {});
        if (!path) {
          visit(document, {
            StringValue(node) {
              if (!path && node.value.includes('\u0000')) path = 'a string in the document';
            },
          });
        }
        if (path) {
          throw new DomainError('BAD_USER_INPUT', `${path}: must not contain NUL characters (U+0000)`, { field: path, http: { status: 400 } });
        }
      },
    };
  },
};
