import { DocumentNode, GraphQLError, GraphQLSchema, Kind, ValidationContext, ValidationRule, visit } from 'graphql';
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
  /** Request body size for express.json (and its byte count for the lean GraphQL path). */
  body: '64kb',
  bodyBytes: 64 * 1024,
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
  // The cost of a parsed document (Apollo keeps them) for given variables, worked out once: the same query with the
  // same variables costs the same. A bounded number of variable sets is kept per document.
  const costs = new WeakMap<DocumentNode, Map<string, number | null>>();
  const estimate = (document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): number | null => {
    let byVariables = costs.get(document);
    if (!byVariables) costs.set(document, (byVariables = new Map()));
    // Only page sizes (`first`) and @skip/@include read variables: a mutation's input does not change its cost.
    const varies = variables && Object.keys(variables).length > 0 && costReadsVariables(document);
    const key = `${operationName ?? ''}\u0000${varies ? JSON.stringify(variables) : ''}`;
    let cost = byVariables.get(key);
    if (cost === undefined) {
      // Null when the variables do not coerce: execution reports them as BAD_USER_INPUT; nothing runs.
      cost = operationCost(schema, document, operationName, variables);
      if (byVariables.size >= 100) byVariables.clear();
      byVariables.set(key, cost);
    }
    return cost;
  };
  // One listener for every request: nothing allocated per request.
  const listener = {
    async didResolveOperation({ request, document }: { request: { operationName?: string; variables?: Record<string, unknown> }; document: DocumentNode }) {
      const cost = estimate(document, request.operationName, request.variables);
      if (cost === null) return;
      if (cost > LIMITS.cost) {
        throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${LIMITS.cost}`, {
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost, limit: LIMITS.cost, http: { status: 400 } },
        });
      }
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

const readsVariables = new WeakMap<DocumentNode, boolean>();

/** True when the document's cost can depend on its variables: a variable as a page size or a @skip/@include condition. */
function costReadsVariables(document: DocumentNode): boolean {
  let reads = readsVariables.get(document);
  if (reads === undefined) {
    reads = false;
    visit(document, {
      Argument(node) {
        if (node.name.value === 'first' && node.value.kind === Kind.VARIABLE) reads = true;
      },
      Directive(node) {
        if ((node.name.value === 'skip' || node.name.value === 'include') && node.arguments?.some((argument) => argument.value.kind === Kind.VARIABLE)) reads = true;
      },
    });
    readsVariables.set(document, reads);
  }
  return reads;
}

/** A body-parser limit in bytes as the limits are written ("64kb", "1mb"), for 413 messages. */
export function formatByteLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}mb`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return `${bytes} bytes`;
}
