import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, visit } from 'graphql';
import { DomainError } from '../errors';
import { pathOfNulCharacter } from '../validation';

/**
 * Refuses, with HTTP 400 BAD_USER_INPUT naming the field, a request whose variables or string literals contain
 * U+0000: PostgreSQL text cannot hold it, so it would otherwise fail deep in a query.
 */
export const inputGuardPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return LISTENER;
  },
};

/** Whether a parsed document has a string literal with U+0000, worked out once per document (Apollo caches them). */
const literalNul = new WeakMap<DocumentNode, boolean>();

function hasNulLiteral(document: DocumentNode): boolean {
  let found = literalNul.get(document);
  if (found === undefined) {
    let nul = false;
    visit(document, {
      StringValue(node) {
        if (node.value.includes('\u0000')) nul = true;
      },
    });
    literalNul.set(document, (found = nul));
  }
  return found;
}

// One listener for every request: nothing allocated per request.
const LISTENER: Awaited<ReturnType<NonNullable<ApolloServerPlugin['requestDidStart']>>> = {
  async didResolveOperation({ request, document }) {
    const path = pathOfNulCharacter(request.variables ?? {}) ?? (hasNulLiteral(document) ? 'a string in the document' : null);
    if (path) {
      throw new DomainError('BAD_USER_INPUT', `${path}: must not contain NUL characters (U+0000)`, { field: path, http: { status: 400 } });
    }
  },
};
