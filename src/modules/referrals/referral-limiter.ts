import type { EntityManager } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../errors';
import type { RequestScope } from '../../graphql/context';

/**
 * Failed referral code look-ups per client, counted in PostgreSQL (rate-limiter-flexible's store, table
 * rate_limits from our migrations), so the limit holds across replicas and on the embedded database.
 * It runs its statements on the ORM's own connection pool: no second pool to size.
 */
const limiters = new WeakMap<object, Map<string, RateLimiterPostgres>>();

interface KnexClient {
  client: { acquireConnection(): Promise<PgConnection>; releaseConnection(connection: PgConnection): Promise<unknown> };
}
interface PgConnection {
  query(query: { text: string; values?: unknown[] }): Promise<unknown>;
}

/**
 * The limiter's statements on a connection of the ORM's knex pool, without the statement names the library
 * gives them: on the embedded PGlite every connection shares one backend, where a second connection
 * preparing the same named statement fails ("prepared statement already exists").
 */
function unnamedStatements(knex: KnexClient) {
  return {
    async query(query: { text: string; values?: unknown[] }) {
      const connection = await knex.client.acquireConnection();
      try {
        return await connection.query({ text: query.text, values: query.values });
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
  };
}

function limiterFor(scope: RequestScope): RateLimiterPostgres {
  const knex = (scope.em as EntityManager).getKnex() as unknown as KnexClient;
  const { lookupFailures, lookupWindowSeconds } = scope.config.referral;
  const settings = `${lookupFailures}/${lookupWindowSeconds}`;
  let perSettings = limiters.get(knex);
  if (!perSettings) limiters.set(knex, (perSettings = new Map()));
  let limiter = perSettings.get(settings);
  if (!limiter) {
    limiter = new RateLimiterPostgres({
      storeClient: unnamedStatements(knex),
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: 'referral-lookup',
      points: lookupFailures,
      duration: lookupWindowSeconds,
    });
    perSettings.set(settings, limiter);
  }
  return limiter;
}

/**
 * Who a look-up is counted against: the shopper's IP when a storefront passes it on enrolment, else the
 * token's role and subject, else (anonymous callers) the HTTP client's address.
 */
export function lookupClientKey(scope: RequestScope, shopperIp?: string | null): string {
  if (shopperIp) return `ip:${shopperIp}`;
  if (scope.principal) return `${scope.principal.role}:${scope.principal.subject}`;
  return `ip:${scope.clientIp ?? 'unknown'}`;
}

function retryAfter(result: RateLimiterRes): number {
  return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
}

/** RATE_LIMITED when the client used up its failed look-ups; checked before every look-up, valid or not. */
export async function assertLookupAllowed(scope: RequestScope, key: string): Promise<void> {
  const result = await limiterFor(scope).get(key);
  if (result && result.consumedPoints >= scope.config.referral.lookupFailures) throw new RateLimitedError(retryAfter(result));
}

/** Counts one failed look-up; RATE_LIMITED when it was one too many (never happens after assertLookupAllowed, but two at once can race). */
export async function recordFailedLookup(scope: RequestScope, key: string): Promise<void> {
  try {
    await limiterFor(scope).consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitedError(retryAfter(rejection));
    throw rejection;
  }
}
