import { defaultFieldResolver, GraphQLSchema } from 'graphql';
import { ConflictRetryOptions, withConflictRetry } from '../db/retry';
import { countTransactionRetry } from '../observability/domain-metrics';
import type { RequestContext } from './context';

/**
 * Mutations run again, whole, when their transaction lost a serialization race or a deadlock (PostgreSQL rolled it
 * back). Each writes in one transaction (or one statement), and those that move points are idempotent by key, so a
 * second run either does the work once or answers the first run's replay:
 * - enrollMember (externalId), recordOrder (externalId), refundOrder (refundId), holdPoints, adjustPoints,
 *   redeemReward, eraseMember (idempotencyKey); capturePoints and releasePoints (a hold already in that state is
 *   answered unchanged); consumeVoucher (the same orderRef is answered unchanged).
 * - Configuration (one transaction each, nothing written before it): rewards, tiers, perks, earning rules, points
 *   currencies, exchange rates, webhook endpoints, referral codes, Stripe customer links.
 * Not retried: recomputeLtv (a long run that records itself; a conflict there is reported on the run).
 */
export const RETRIED_MUTATIONS: ReadonlySet<string> = new Set([
  'enrollMember',
  'recordOrder',
  'refundOrder',
  'holdPoints',
  'capturePoints',
  'releasePoints',
  'redeemReward',
  'consumeVoucher',
  'adjustPoints',
  'eraseMember',
  'createReward',
  'updateReward',
  'retireReward',
  'createTier',
  'updateTier',
  'deleteTier',
  'createPerk',
  'updatePerk',
  'grantPerk',
  'revokePerk',
  'createEarningRule',
  'createPointsCurrency',
  'updatePointsCurrency',
  'setExchangeRate',
  'createWebhookEndpoint',
  'deleteWebhookEndpoint',
  'setReferralCode',
  'linkStripeCustomer',
]);

/**
 * The one place conflicts are retried for the API: wraps the resolvers of RETRIED_MUTATIONS in `schema` (in place,
 * so the compiled and the Apollo paths both see it) with withConflictRetry. Before a second run the request's
 * EntityManager is cleared, so nothing the failed run loaded or created is flushed by it. When the retries run out,
 * the conflict reaches the client as 503 SERVICE_UNAVAILABLE with Retry-After (see errors.ts).
 */
export function retryMutationsOnConflict(schema: GraphQLSchema, options: ConflictRetryOptions = {}): GraphQLSchema {
  const fields = schema.getMutationType()?.getFields() ?? {};
  for (const field of Object.values(fields)) {
    if (!RETRIED_MUTATIONS.has(field.name)) continue;
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: RequestContext, info) =>
      withConflictRetry(
        async (attempt) => {
          if (attempt > 1) context.em.clear();
          return resolve(source, args, context, info);
        },
        {
          ...options,
          onRetry: (failedAttempt, error) => {
            countTransactionRetry(field.name);
            context.logger.warn({ err: error, mutation: field.name, failedAttempt }, 'transaction conflict; running the mutation again');
            options.onRetry?.(failedAttempt, error);
          },
        },
      );
  }
  return schema;
}
