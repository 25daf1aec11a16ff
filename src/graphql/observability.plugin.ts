import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from './context';
import { errorCode, isUnexpectedError } from './errors';

/** Distinct operation names kept as metric labels; later names count as "other" (clients choose names). */
const MAX_OPERATION_LABELS = 200;

/** Counts and times each operation, counts errors by code and logs unexpected errors in full. */
export function observabilityPlugin(metrics: Metrics): ApolloServerPlugin<RequestContext> {
  const seenOperations = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (seenOperations.has(name)) return name;
    if (seenOperations.size >= MAX_OPERATION_LABELS) return 'other';
    seenOperations.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const stopTimer = metrics.graphqlDuration.startTimer();
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            metrics.graphqlErrors.inc({ code: errorCode(error) });
            if (isUnexpectedError(error)) {
              contextValue.logger.error({ err: error.originalError ?? error, operationName, path: error.path }, 'unexpected GraphQL error');
            }
          }
        },
        async willSendResponse({ operationName }) {
          const operation = operationLabel(operationName);
          metrics.graphqlRequests.inc({ operation });
          stopTimer({ operation });
        },
      };
    },
  };
}
