import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from './context';
import type { GraphQLError, OperationDefinitionNode } from 'graphql';
import { countAuthenticationRejection, countLedgerCommand, LedgerCommandKind, LedgerOutcome } from '../observability/domain-metrics';
import { errorCode, isUnexpectedError } from './errors';

/** The mutations that move points, as ledger command kinds in perkgraph_ledger_commands_total. */
const LEDGER_MUTATIONS: Record<string, LedgerCommandKind> = {
  holdPoints: 'hold',
  capturePoints: 'capture',
  releasePoints: 'release',
  adjustPoints: 'adjust',
  recordOrder: 'record_order',
  refundOrder: 'refund',
  redeemReward: 'redeem',
};

function ledgerOutcome(code: string): LedgerOutcome {
  if (code === 'INSUFFICIENT_POINTS') return 'insufficient_points';
  if (code === 'IDEMPOTENCY_CONFLICT') return 'conflict';
  if (code === 'SERVICE_UNAVAILABLE') return 'unavailable';
  if (code === 'INTERNAL_SERVER_ERROR') return 'failed';
  return 'refused';
}

/** Counts each points-moving mutation field of an executed operation by the outcome its error (or none) says. */
function countLedgerCommands(document: OperationDefinitionNode | undefined, errors: readonly GraphQLError[]): void {
  if (document?.operation !== 'mutation') return;
  // An error without a path refused the whole request (a bad token, a limit): no command ran.
  if (errors.some((error) => !error.path)) return;
  for (const selection of document.selectionSet.selections) {
    if (selection.kind !== 'Field') continue;
    const kind = LEDGER_MUTATIONS[selection.name.value];
    if (!kind) continue;
    const key = selection.alias?.value ?? selection.name.value;
    const error = errors.find((candidate) => candidate.path?.[0] === key);
    countLedgerCommand(kind, error ? ledgerOutcome(errorCode(error)) : 'ok');
  }
}

/** Distinct operation names kept as metric labels; later names count as "other" (clients choose names). */
const MAX_OPERATION_LABELS = 200;

/** Counts and times each operation, counts errors by code and logs unexpected errors in full. */
export function observabilityPlugin(metrics: Metrics): ApolloServerPlugin<RequestContext> {
  // Each operation's counter and histogram, labelled once: a request only adds to them (no label objects, no timer).
  const byOperation = new Map<string, { requests: { inc(): void }; duration: { observe(seconds: number): void } }>();
  const metricsOf = (name: string | null | undefined) => {
    let label = name || 'anonymous';
    if (!byOperation.has(label) && byOperation.size >= MAX_OPERATION_LABELS) label = 'other';
    let children = byOperation.get(label);
    if (!children) {
      children = { requests: metrics.graphqlRequests.labels(label), duration: metrics.graphqlDuration.labels(label) };
      byOperation.set(label, children);
    }
    return children;
  };
  // One listener for every request; the request's start time is its context's.
  const listener: Awaited<ReturnType<NonNullable<ApolloServerPlugin<RequestContext>['requestDidStart']>>> = {
    async didEncounterErrors({ errors, contextValue, operationName }) {
      for (const error of errors) {
        metrics.graphqlErrors.inc({ code: errorCode(error) });
        if (isUnexpectedError(error)) {
          contextValue.logger.error({ err: error.originalError ?? error, operationName, path: error.path }, 'unexpected GraphQL error');
        }
      }
    },
    async willSendResponse({ operationName, operation: document, errors, contextValue }) {
      if (document?.operation === 'mutation') countLedgerCommands(document, errors ?? []);
      if (errors?.some((error) => errorCode(error) === 'UNAUTHENTICATED' && error.path)) countAuthenticationRejection('missing_token');
      const { requests, duration } = metricsOf(operationName);
      requests.inc();
      duration.observe((performance.now() - (contextValue.startedAt ?? 0)) / 1000);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
