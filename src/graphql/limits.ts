import { GraphQLError, GraphQLSchema, ValidationContext, ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { operationCost } from './cost';
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
  /** Estimated cost (src/graphql/cost.ts): object fields per row, batched ones per page, connections multiply rows by their page size. */
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
          const cost = operationCost(schema, document, request.operationName, request.variables);
          // Variables that do not coerce: execution reports them as BAD_USER_INPUT; nothing runs.
          if (cost === null) return;
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
