import { GraphQLError, GraphQLSchema, ValidationContext, ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';

/** Abuse limits on every GraphQL request. */
export const LIMITS = {
  /** Nesting depth of the selection set. */
  depth: 10,
  /** Aliases in one operation. */
  aliases: 15,
  /** Lexical tokens in one document (enforced by the parser). */
  tokens: 2000,
  /** Estimated cost: one per field, lists multiplied by their page size. */
  cost: 1000,
  /** Request body size for express.json. */
  body: '64kb',
} as const;

/** Report a rejection as an ordinary validation error (GRAPHQL_VALIDATION_FAILED, HTTP 400) instead of throwing. */
const asValidationError = { exposeLimits: true, propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)] };

export const limitValidationRules: ValidationRule[] = [
  maxDepthRule({ n: LIMITS.depth, ...asValidationError }) as unknown as ValidationRule,
  // __typename aliases are free (armor's default allow-list): they cost nothing to resolve.
  maxAliasesRule({ n: LIMITS.aliases, ...asValidationError }) as unknown as ValidationRule,
];

/** Refuses operations whose estimated cost, with the request's variables, exceeds LIMITS.cost. */
export function costLimitPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName,
              variables: request.variables,
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // Variables that do not coerce: execution reports them as BAD_USER_INPUT; nothing runs.
            if (error instanceof GraphQLError) return;
            throw error;
          }
          if (cost > LIMITS.cost) {
            throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${LIMITS.cost}`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost, limit: LIMITS.cost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** A body-parser limit in bytes as the limits are written ("64kb", "1mb"), for 413 messages. */
export function formatByteLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}mb`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return `${bytes} bytes`;
}
