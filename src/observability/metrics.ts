import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { domainRegistry } from './domain-metrics';

/** Prometheus metrics of one server: GraphQL requests per operation, errors by code, the database pool. */
export class Metrics {
  readonly registry = new Registry();

  readonly graphqlRequests = new Counter({
    name: 'perkgraph_graphql_requests_total',
    help: 'GraphQL requests by operation name.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'perkgraph_graphql_request_duration_seconds',
    help: 'GraphQL request duration by operation name.',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: 'perkgraph_graphql_errors_total',
    help: 'GraphQL errors by extensions.code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'perkgraph_' });
  }

  /** This server's metrics and the process-wide domain counters (src/observability/domain-metrics.ts), as text. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await domainRegistry.metrics()}`;
  }

  /** Gauges read from the ORM's connection pool (tarn, through knex) at scrape time. */
  watchDatabasePool(orm: MikroORM): void {
    const pool = () => orm.em.getConnection().getKnex().client.pool as TarnPool | undefined;
    const gauge = (name: string, help: string, read: (p: TarnPool) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const current = pool();
          this.set(current ? read(current) : 0);
        },
      });
    gauge('perkgraph_db_pool_used', 'Database connections in use.', (p) => p.numUsed());
    gauge('perkgraph_db_pool_free', 'Idle database connections.', (p) => p.numFree());
    gauge('perkgraph_db_pool_pending_acquires', 'Requests waiting for a database connection.', (p) => p.numPendingAcquires());
    gauge('perkgraph_db_pool_max', 'Largest pool size.', (p) => p.max);
  }
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}
